/* xp_keys.c -- key files for the TCP backend: `mpcsim keygen`, and reading a party's secret key and
 * its peers' public keys (xp_keys.h). */
#define _GNU_SOURCE
#include "xp_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xp.h"
#include "xp_cmds.h"

#define SECRET_PREFIX "mpcsim secret key "

int xp_key_format_secret(char out[XP_KEY_SECRET_TEXT], const net_keypair *k)
{
    char st[NET_KEY_TEXT];
    net_key_format(st, k->sk);
    int n = snprintf(out, XP_KEY_SECRET_TEXT, SECRET_PREFIX "%s\n", st);
    sodium_memzero(st, sizeof st);
    return n;
}

/* Reads a small text (a key) from fd into buf (NUL-terminated). 0, or -1 with errno or EFBIG. */
int xp_key_read_fd(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        if (n + 1 >= cap) {
            errno = EFBIG;
            return -1;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r == 0) break;
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        n += (size_t)r;
    }
    buf[n] = 0;
    return 0;
}

/* A secret key's text: "mpcsim secret key x25519:<base64url>". 0, or -1. */
int xp_key_parse_secret(const char *text, net_keypair *k)
{
    uint8_t sk[NET_KEY_BYTES];
    if (strncmp(text, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0 || net_key_parse(text + strlen(SECRET_PREFIX), sk) != 0)
        return -1;
    net_key_from_secret(k, sk);
    sodium_memzero(sk, sizeof sk);
    return 0;
}

/* --key FILE: refuses a file others can read (as ssh does). */
int xp_key_load_secret(const char *path, net_keypair *k)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "error: --key: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    char text[512];
    int rc = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        fprintf(stderr, "error: --key: '%s' is not a regular file\n", path);
    else if (st.st_mode & 077)
        fprintf(stderr, "error: --key: '%s' is accessible by others (mode %04o): a secret key must be private "
                        "(chmod 600 '%s')\n", path, (unsigned)(st.st_mode & 07777), path);
    else if (xp_key_read_fd(fd, text, sizeof text) != 0)
        fprintf(stderr, "error: --key: cannot read '%s': %s\n", path, strerror(errno));
    else if (xp_key_parse_secret(text, k) != 0)
        fprintf(stderr, "error: --key: '%s' is not an mpcsim secret key (make one with mpcsim keygen; a .pub file "
                        "is the public half)\n", path);
    else rc = 0;
    sodium_memzero(text, sizeof text);
    close(fd);
    return rc;
}

/* A public key: x25519:... inline, or a file holding it. */
int xp_key_load_public(const char *v, uint8_t key[NET_KEY_BYTES], const char *role)
{
    if (strncmp(v, "x25519:", 7) == 0) {
        if (net_key_parse(v, key) == 0) return 0;
        fprintf(stderr, "error: --peer-keys: %s's key '%s' is not a valid x25519:... key\n", role, v);
        return -1;
    }
    int fd = open(v, O_RDONLY | O_CLOEXEC);
    char text[512];
    if (fd < 0) {
        fprintf(stderr, "error: --peer-keys: %s: '%s' is neither a key (x25519:...) nor a readable file: %s\n", role, v,
                strerror(errno));
        return -1;
    }
    int rc = xp_key_read_fd(fd, text, sizeof text);
    close(fd);
    if (rc != 0 || net_key_parse(text, key) != 0) {
        fprintf(stderr, "error: --peer-keys: %s: '%s' does not hold a public key (x25519:..., as mpcsim keygen writes "
                        "to NAME.pub)\n", role, v);
        return -1;
    }
    return 0;
}

int xp_cmd_keygen(int argc, char **argv)
{
    const char *out = NULL;
    int force = 0;
    for (int i = 0; i < argc; i++) {
        int r;
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: mpcsim keygen --out NAME [--force]\n\n"
                   "Makes a party's long-term X25519 key pair for `mpcsim party`: NAME (the secret key, mode 0600: give\n"
                   "it to this party's --key only) and NAME.pub (the public key). Prints the public key, x25519:...,\n"
                   "which is also its fingerprint: give it (or NAME.pub) to the other parties' --peer-keys. Refuses to\n"
                   "overwrite existing files unless --force.\n");
            return 0;
        }
        if ((r = xp_arg(argc, argv, &i, "--out", 1, &out))) {
            if (r < 0) return 2;
        } else if ((r = xp_arg(argc, argv, &i, "--force", 0, &v))) {
            if (r < 0) return 2;
            force = 1;
        } else {
            fprintf(stderr, "error: keygen: unknown argument '%s' (mpcsim keygen --out NAME)\n", argv[i]);
            return 2;
        }
    }
    if (!out || !*out) {
        fprintf(stderr, "error: keygen: --out NAME is required (writes NAME and NAME.pub)\n");
        return 2;
    }
    size_t ol = strlen(out);
    char *pub = chk_malloc(ol + 5);
    snprintf(pub, ol + 5, "%s.pub", out);
    net_keypair k;
    net_key_generate(&k);
    char pt[NET_KEY_TEXT], line[XP_KEY_SECRET_TEXT];
    net_key_format(pt, k.pk);
    int ll = xp_key_format_secret(line, &k);
    int rc = 1, flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL);
    int fd = open(out, flags, 0600);
    if (fd < 0)
        fprintf(stderr, "error: keygen: cannot create '%s': %s%s\n", out, strerror(errno),
                errno == EEXIST ? " (--force replaces it)" : "");
    else if (fchmod(fd, 0600) != 0 || write(fd, line, (size_t)ll) != ll || fsync(fd) != 0) {
        fprintf(stderr, "error: keygen: cannot write '%s': %s\n", out, strerror(errno));
        close(fd);
        unlink(out);
    } else if (close(fd) != 0) {
        fprintf(stderr, "error: keygen: cannot write '%s': %s\n", out, strerror(errno));
        unlink(out);
    } else {
        FILE *f = NULL;
        int pfd = open(pub, flags, 0644);
        if (pfd >= 0) f = fdopen(pfd, "w");
        if (!f || fprintf(f, "%s\n", pt) < 0 || fclose(f) != 0) {
            fprintf(stderr, "error: keygen: cannot write '%s': %s%s\n", pub, strerror(errno),
                    errno == EEXIST ? " (--force replaces it)" : "");
            if (pfd >= 0 && !f) close(pfd);
            unlink(out);
            if (pfd >= 0) unlink(pub);
        } else {
            printf("%s\n", pt);
            fprintf(stderr, "keygen: secret key in %s (keep it private), public key in %s\n", out, pub);
            rc = 0;
        }
    }
    sodium_memzero(&k, sizeof k);
    sodium_memzero(line, sizeof line);
    free(pub);
    return rc;
}
