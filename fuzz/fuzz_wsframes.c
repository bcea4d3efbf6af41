/*
 * fuzz_wsframes.c: libFuzzer target for the frame-header scanner of src/ws.c
 * (wg_ws_scan_frames), which sees every byte a WebSocket client sends before wslay does.
 *
 * Input: byte 0 seeds the chunk sizes, the rest is the client's byte stream. Properties checked
 * (abort when one breaks):
 * - the verdict does not depend on how the stream is split: scanning it whole and scanning it in
 *   chunks of 1..16 bytes pass the same number of bytes and fail (or not) alike;
 * - a scan never passes more than it was given; when it has not failed it passes everything;
 *   after a failure it passes nothing;
 * - against a reference parse of the same stream (frame by frame, written independently here):
 *   the scanner fails exactly at the first header with a control frame over 125 bytes, fragmented
 *   or with a 1-byte close payload, or a non-minimal / top-bit-set length, and passes exactly the
 *   bytes before that header's revealing byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

/* Reference: returns how many bytes may pass, *failed = 1 when a bad header is found. */
static size_t reference(const uint8_t *p, size_t len, int *failed)
{
    size_t i = 0;
    *failed = 0;
    while (i < len) {
        size_t start = i;
        if (len - start < 2)
            return len; /* an incomplete header: nothing revealed yet */
        uint8_t b0 = p[start], b1 = p[start + 1];
        size_t len7 = b1 & 0x7F;
        int is_control = (b0 & 0x08) != 0;
        if (is_control && (len7 > 125 || !(b0 & 0x80) || ((b0 & 0x0F) == 0x8 && len7 == 1))) {
            *failed = 1;
            return start + 1; /* the second byte reveals it */
        }
        size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
        if (len - start < 2 + ext)
            return len;
        uint64_t n = len7;
        if (ext) {
            n = 0;
            for (size_t k = 0; k < ext; k++)
                n = (n << 8) | p[start + 2 + k];
            if ((ext == 2 && n < 126) || (ext == 8 && (n < 65536 || (n >> 63) != 0))) {
                *failed = 1;
                return start + 2 + ext - 1; /* the last length byte reveals it */
            }
        }
        size_t header = 2 + ext + ((b1 & 0x80) ? 4 : 0);
        if (len - start < header)
            return len;
        if (n > len - start - header)
            return len;
        i = start + header + (size_t)n;
    }
    return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned seed = data[0];
    const uint8_t *stream = data + 1;
    size_t len = size - 1;

    wg_ws_scan_t whole;
    memset(&whole, 0, sizeof(whole));
    size_t passed_whole = wg_ws_scan_frames(&whole, stream, len);
    if (passed_whole > len || (!whole.is_failed && passed_whole != len))
        abort();

    wg_ws_scan_t chunked;
    memset(&chunked, 0, sizeof(chunked));
    size_t passed = 0, at = 0;
    while (at < len) {
        size_t chunk = 1 + (seed % 16);
        seed = seed * 1103515245u + 12345u;
        if (chunk > len - at)
            chunk = len - at;
        size_t n = wg_ws_scan_frames(&chunked, stream + at, chunk);
        if (n > chunk)
            abort();
        if (!chunked.is_failed && n != chunk)
            abort();
        passed += n;
        at += chunk;
        if (chunked.is_failed) {
            /* sticky: nothing passes afterwards */
            if (at < len && wg_ws_scan_frames(&chunked, stream + at, len - at) != 0)
                abort();
            break;
        }
    }
    if (passed != passed_whole || chunked.is_failed != whole.is_failed)
        abort();

    int ref_failed;
    size_t ref_passed = reference(stream, len, &ref_failed);
    if (ref_failed != whole.is_failed || (ref_failed && ref_passed != passed_whole))
        abort();
    return 0;
}
