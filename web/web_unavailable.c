/* web_unavailable.c -- what the browser build leaves out, each failing with a message naming it.
 * The explorer runs phantom mode only (no arithmetic), so it never reaches these; they exist because
 * the same command-line sources reference them:
 *   - pcap output (netmodel/nm_pcap.c writes through libpcap, which has no WebAssembly build here);
 *   - real mode's plaintext reference forward, whose matrix products go through OpenBLAS. */
#include <gsl/gsl_cblas.h>
#include <stdio.h>

#include "../common/chk.h"
#include "../netmodel/nm_pcap.h"

int nm_pcap_open(nm_pcap **out, const char *path, uint32_t mss)
{
    *out = NULL;
    fprintf(stderr, "error: --pcap: pcap output is not available in the browser build (use the mpcsim command)\n");
    return NM_EINVAL;
}

void nm_pcap_message(nm_pcap *pc, int src, int dst, uint64_t bytes, int64_t now, const nm_link *before)
{
    CHECK(0, "pcap output is not available in the browser build");
}

int nm_pcap_close(nm_pcap *pc)
{
    CHECK(pc == NULL, "pcap output is not available in the browser build");
    return NM_OK;
}

void nm_pcap_discard(nm_pcap *pc) { (void)pc; }

void cblas_sgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_TRANSPOSE TransB,
                 const int M, const int N, const int K, const float alpha, const float *A, const int lda,
                 const float *B, const int ldb, const float beta, float *C, const int ldc)
{
    CHECK(0, "real mode (plaintext reference via OpenBLAS) is not available in the browser build");
}
