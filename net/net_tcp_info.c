/* net_tcp_info.c -- the kernel's own byte counts of a TCP connection (TCP_INFO). Apart from
 * net_tcp.c because <linux/tcp.h> (which has the RFC 4898 octet counters) and glibc's <netinet/tcp.h>
 * both define struct tcp_info. */
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

int net_tcp_info_bytes(int fd, int fin_received, uint64_t *sent, uint64_t *received);
int net_tcp_info_min_rtt_us(int fd, uint32_t *us);

/* Payload bytes this side put on the wire (tcpi_bytes_sent: every segment, retransmissions
 * included, as a capture sees them) and received (tcpi_bytes_received counts the peer's FIN as one
 * sequence number: less 1 once it arrived). 0, or -1 if the kernel does not report them. */
int net_tcp_info_bytes(int fd, int fin_received, uint64_t *sent, uint64_t *received)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_sent) + sizeof ti.tcpi_bytes_sent)
        return -1;
    *sent = ti.tcpi_bytes_sent;
    *received = ti.tcpi_bytes_received - (fin_received && ti.tcpi_bytes_received ? 1 : 0);
    return 0;
}

/* The kernel's minimum RTT of the connection (tcpi_min_rtt, microseconds). 0, or -1 if the kernel
 * does not report it or has no sample yet (also for a non-TCP socket). */
int net_tcp_info_min_rtt_us(int fd, uint32_t *us)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_min_rtt) + sizeof ti.tcpi_min_rtt || ti.tcpi_min_rtt == 0 ||
        ti.tcpi_min_rtt == ~0u)
        return -1;
    *us = ti.tcpi_min_rtt;
    return 0;
}
