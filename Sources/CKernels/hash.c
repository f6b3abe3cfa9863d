// A 64-bit hash of a float buffer's bits, for caches keyed by the contents of weights (the
// transformed Winograd kernels of inference passes, Kernels/WinogradKernelCache.swift): four
// independent multiply-xorshift lanes over 64-bit words, then the tail and the length.
#include <stdint.h>
#include <string.h>
#include "ckernels.h"

static inline uint64_t mix(uint64_t h, uint64_t w) {
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

uint64_t azoo_hash_floats(const float *p, long n) {
    const unsigned char *b = (const unsigned char *)p;
    const long words = n / 2;
    uint64_t h0 = 0x243F6A8885A308D3ull, h1 = 0x13198A2E03707344ull, h2 = 0xA4093822299F31D0ull, h3 = 0x082EFA98EC4E6C89ull;
    long i = 0;
    for (; i + 4 <= words; i += 4) {
        uint64_t w[4];
        memcpy(w, b + i * 8, 32);
        h0 = mix(h0, w[0]); h1 = mix(h1, w[1]); h2 = mix(h2, w[2]); h3 = mix(h3, w[3]);
    }
    for (; i < words; i++) {
        uint64_t w;
        memcpy(&w, b + i * 8, 8);
        h0 = mix(h0, w);
    }
    if (n % 2) {
        uint32_t w;
        memcpy(&w, b + (n - 1) * 4, 4);
        h1 = mix(h1, w);
    }
    return mix(mix(mix(mix(h0, h1), h2), h3), (uint64_t)n);
}
