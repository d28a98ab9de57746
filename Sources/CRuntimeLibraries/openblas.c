// OpenBLAS opened with dlopen, with the kernel chosen from CPUID before OpenBLAS's constructor runs.
#define _GNU_SOURCE
#include "CRuntimeLibraries.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float,
                         float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*string_fn)(void);

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static char blas_error[512];
static int blas_source;
static int thread_timeout_source;
static char thread_timeout_value[32];
static sgemm_fn blas_sgemm;
static set_threads_fn blas_set_threads;
static get_threads_fn blas_get_threads;
static string_fn blas_corename, blas_config;

#if defined(__x86_64__) || defined(__i386__)
/// XCR0: which register states the operating system saves (AVX needs bits 1-2, AVX-512 bits 5-7 too).
static unsigned long long xcr0(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0;  // OSXSAVE
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#endif

const char *dd_blas_cpuid_core(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int eax, ebx, ecx, edx, maxLeaf = __get_cpuid_max(0, NULL);
    if (maxLeaf < 1 || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return NULL;
    int avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
    unsigned long long os = xcr0();
    int osAVX = (os & 0x6) == 0x6, osAVX512 = (os & 0xE6) == 0xE6;
    if (!avx || !osAVX) return NULL;
    int avx2 = 0, avx512 = 0, bf16 = 0;
    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        avx2 = (ebx >> 5) & 1;
        // AVX512 F, DQ, CD, BW and VL: what OpenBLAS's SkylakeX kernels use.
        unsigned int need = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
        avx512 = (ebx & need) == need && osAVX512;
        unsigned int maxSub = eax;
        if (maxSub >= 1) {
            __cpuid_count(7, 1, eax, ebx, ecx, edx);
            bf16 = (eax >> 5) & 1;
        }
    }
    if (avx512 && bf16) return "Cooperlake";
    if (avx512) return "SkylakeX";
    if (avx2 && fma) {
        char vendor[13] = {0};
        __cpuid(0, eax, ebx, ecx, edx);
        memcpy(vendor, &ebx, 4); memcpy(vendor + 4, &edx, 4); memcpy(vendor + 8, &ecx, 4);
        return strcmp(vendor, "AuthenticAMD") == 0 || strcmp(vendor, "HygonGenuine") == 0 ? "Zen" : "Haswell";
    }
    return "Sandybridge";
#else
    return NULL;
#endif
}

static void *symbol(void *handle, const char *name) {
    void *p = dlsym(handle, name);
    if (!p && !blas_error[0])
        snprintf(blas_error, sizeof blas_error, "libopenblas.so.0 has no symbol %s: install Debian's libopenblas0", name);
    return p;
}

static void load_blas(void) {
    const char *chosen = NULL;
    const char *set = getenv("OPENBLAS_CORETYPE");
    if (set && set[0]) {
        blas_source = 1;
    } else if ((chosen = dd_blas_cpuid_core()) != NULL) {
        blas_source = 2;
        setenv("OPENBLAS_CORETYPE", chosen, 1);
    } else {
        blas_source = 3;
    }
    // OpenBLAS's idle threads spin for 2^OPENBLAS_THREAD_TIMEOUT cycles (default 2^28, about 70 ms) after each
    // threaded GEMM before they sleep. Spinning, each takes a core from the kernels that run between GEMMs on
    // our own workers (Winograd transforms, attention, im2col), so unless the user chose a value, they
    // sleep after 2^16 cycles (about 16 µs): long enough for GEMMs that follow each other.
    const char *timeout = getenv("OPENBLAS_THREAD_TIMEOUT");
    int setTimeout = !(timeout && timeout[0]);
    if (setTimeout) setenv("OPENBLAS_THREAD_TIMEOUT", DD_BLAS_THREAD_TIMEOUT, 1);
    void *handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    // The variables were only for OpenBLAS's constructor: leave the environment as the user had it.
    if (chosen) unsetenv("OPENBLAS_CORETYPE");
    if (setTimeout) unsetenv("OPENBLAS_THREAD_TIMEOUT");
    thread_timeout_source = setTimeout ? 2 : 1;
    snprintf(thread_timeout_value, sizeof thread_timeout_value, "%s", setTimeout ? DD_BLAS_THREAD_TIMEOUT : timeout);
    if (!handle) {
        snprintf(blas_error, sizeof blas_error,
                 "OpenBLAS could not be loaded (%s): install it (Debian/Ubuntu: apt-get install libopenblas0)", dlerror());
        blas_source = 0;
        return;
    }
    blas_sgemm = (sgemm_fn)symbol(handle, "cblas_sgemm");
    blas_set_threads = (set_threads_fn)symbol(handle, "openblas_set_num_threads");
    blas_get_threads = (get_threads_fn)symbol(handle, "openblas_get_num_threads");
    blas_corename = (string_fn)symbol(handle, "openblas_get_corename");
    blas_config = (string_fn)symbol(handle, "openblas_get_config");
    if (blas_error[0]) { blas_sgemm = NULL; blas_source = 0; }
}

int dd_blas_load(char *error, size_t error_size) {
    pthread_once(&blas_once, load_blas);
    if (blas_sgemm) return 0;
    if (error && error_size) snprintf(error, error_size, "%s", blas_error);
    return -1;
}

int dd_blas_core_source(void) { return blas_sgemm ? blas_source : 0; }
int dd_blas_thread_timeout_source(void) { return blas_sgemm ? thread_timeout_source : 0; }
const char *dd_blas_thread_timeout(void) { return blas_sgemm ? thread_timeout_value : NULL; }
const char *dd_blas_corename(void) { return blas_sgemm ? blas_corename() : NULL; }
const char *dd_blas_config(void) { return blas_sgemm ? blas_config() : NULL; }
int dd_blas_get_threads(void) { return blas_sgemm ? blas_get_threads() : 1; }
void dd_blas_set_threads(int threads) { if (blas_sgemm) blas_set_threads(threads); }

void dd_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    // CBLAS enum values: CblasRowMajor 101, CblasNoTrans 111, CblasTrans 112.
    blas_sgemm(101, transpose_a ? 112 : 111, transpose_b ? 112 : 111, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
