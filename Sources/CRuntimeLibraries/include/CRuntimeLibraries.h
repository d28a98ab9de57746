#ifndef CRUNTIMELIBRARIES_H
#define CRUNTIMELIBRARIES_H
/// OpenBLAS and the OpenCL ICD loader, opened at run time with dlopen instead of linked.
///
/// Loading at run time lets the library choose OpenBLAS's kernel from the processor's feature bits
/// before OpenBLAS's constructor runs (it reads OPENBLAS_CORETYPE once, when it is loaded), and lets a
/// machine without libOpenCL.so.1 run everything on the CPU. Each `dd_*_load` function is idempotent and
/// thread-safe; it returns 0 on success, or -1 and writes a message to `error`.
#include <stddef.h>
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

// MARK: OpenBLAS

/// Loads libopenblas.so.0. When OPENBLAS_CORETYPE is not set, it is set from CPUID for the duration of the
/// load only (see dd_blas_cpuid_core), so OpenBLAS never falls back to its generic kernels on a processor
/// model it does not know. A value set by the user or the machine is never changed.
int dd_blas_load(char *error, size_t error_size);
/// The OpenBLAS core name chosen from CPUID feature bits ("Cooperlake", "SkylakeX", "Zen", "Haswell",
/// "Sandybridge"), or NULL when the processor has none of AVX, AVX2+FMA, AVX-512 usable.
const char *dd_blas_cpuid_core(void);
/// How the kernel was chosen: 0 not loaded, 1 OPENBLAS_CORETYPE was already set, 2 chosen from CPUID,
/// 3 OpenBLAS's own detection (CPUID gave no choice).
int dd_blas_core_source(void);
/// OPENBLAS_THREAD_TIMEOUT set for the load when the environment has none: OpenBLAS's idle threads spin
/// 2^16 cycles, not 2^28, before they sleep.
#define DD_BLAS_THREAD_TIMEOUT "16"
/// How OPENBLAS_THREAD_TIMEOUT was chosen: 0 not loaded, 1 already set, 2 set to DD_BLAS_THREAD_TIMEOUT.
int dd_blas_thread_timeout_source(void);
/// The OPENBLAS_THREAD_TIMEOUT value OpenBLAS read at load (the user's, or DD_BLAS_THREAD_TIMEOUT). NULL before loading.
const char *dd_blas_thread_timeout(void);
/// openblas_get_corename(): the kernel OpenBLAS actually runs. NULL before loading.
const char *dd_blas_corename(void);
/// openblas_get_config(). NULL before loading.
const char *dd_blas_config(void);
int dd_blas_get_threads(void);
void dd_blas_set_threads(int threads);
/// Row-major single-precision GEMM: C = alpha * op(A) * op(B) + beta * C (cblas_sgemm with CblasRowMajor).
void dd_sgemm(int transpose_a, int transpose_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);

// MARK: OpenCL

/// Loads libOpenCL.so.1 (the ICD loader) and resolves the OpenCL 1.2 functions the backend calls.
int dd_cl_load(char *error, size_t error_size);

cl_int ddclGetPlatformIDs(cl_uint n, cl_platform_id *platforms, cl_uint *count);
cl_int ddclGetPlatformInfo(cl_platform_id p, cl_platform_info name, size_t size, void *value, size_t *ret);
cl_int ddclGetDeviceIDs(cl_platform_id p, cl_device_type type, cl_uint n, cl_device_id *devices, cl_uint *count);
cl_int ddclGetDeviceInfo(cl_device_id d, cl_device_info name, size_t size, void *value, size_t *ret);
cl_context ddclCreateContext(const cl_context_properties *props, cl_uint n, const cl_device_id *devices,
                             void (*notify)(const char *, const void *, size_t, void *), void *user, cl_int *err);
cl_int ddclReleaseContext(cl_context context);
cl_command_queue ddclCreateCommandQueue(cl_context context, cl_device_id device, cl_command_queue_properties props,
                                        cl_int *err);
cl_int ddclReleaseCommandQueue(cl_command_queue queue);
cl_mem ddclCreateBuffer(cl_context context, cl_mem_flags flags, size_t size, void *host, cl_int *err);
cl_int ddclReleaseMemObject(cl_mem mem);
cl_program ddclCreateProgramWithSource(cl_context context, cl_uint count, const char **strings,
                                       const size_t *lengths, cl_int *err);
cl_int ddclBuildProgram(cl_program program, cl_uint n, const cl_device_id *devices, const char *options,
                        void (*notify)(cl_program, void *), void *user);
cl_int ddclGetProgramBuildInfo(cl_program program, cl_device_id device, cl_program_build_info name, size_t size,
                               void *value, size_t *ret);
cl_int ddclReleaseProgram(cl_program program);
cl_kernel ddclCreateKernel(cl_program program, const char *name, cl_int *err);
cl_int ddclReleaseKernel(cl_kernel kernel);
cl_int ddclSetKernelArg(cl_kernel kernel, cl_uint index, size_t size, const void *value);
cl_int ddclEnqueueNDRangeKernel(cl_command_queue queue, cl_kernel kernel, cl_uint dims, const size_t *offset,
                                const size_t *global, const size_t *local, cl_uint nwait, const cl_event *wait,
                                cl_event *event);
cl_int ddclEnqueueReadBuffer(cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, size_t size,
                             void *ptr, cl_uint nwait, const cl_event *wait, cl_event *event);
cl_int ddclEnqueueWriteBuffer(cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, size_t size,
                              const void *ptr, cl_uint nwait, const cl_event *wait, cl_event *event);
cl_int ddclFinish(cl_command_queue queue);
#endif
