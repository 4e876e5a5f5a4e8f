/* nm_link.c -- see nm_link.h. */
#include "nm_link.h"

#include "../common/chk.h"

int64_t nm_tx_time(uint64_t bps, uint64_t bytes)
{
    CHECK(bps > 0, "zero bandwidth");
    unsigned __int128 num = (unsigned __int128)bytes * 8000000000ull;
    unsigned __int128 t = (num + bps - 1) / bps;
    return t >= (unsigned __int128)NM_TIME_MAX ? NM_TIME_MAX : (int64_t)t; /* saturates: see nm_time_add */
}
