// The OpenCL ICD loader opened with dlopen: a machine without libOpenCL.so.1 still runs on the CPU.
#include "CRuntimeLibraries.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static pthread_once_t cl_once = PTHREAD_ONCE_INIT;
static char cl_error[512];
static int cl_loaded;
static cl_int (*p_clGetPlatformIDs)(cl_uint n, cl_platform_id *platforms, cl_uint *count);
static cl_int (*p_clGetPlatformInfo)(cl_platform_id p, cl_platform_info name, size_t size, void *value, size_t *ret);
static cl_int (*p_clGetDeviceIDs)(cl_platform_id p, cl_device_type type, cl_uint n, cl_device_id *devices, cl_uint *count);
static cl_int (*p_clGetDeviceInfo)(cl_device_id d, cl_device_info name, size_t size, void *value, size_t *ret);
static cl_context (*p_clCreateContext)(const cl_context_properties *props, cl_uint n, const cl_device_id *devices, void (*notify)(const char *, const void *, size_t, void *), void *user, cl_int *err);
static cl_int (*p_clReleaseContext)(cl_context context);
static cl_command_queue (*p_clCreateCommandQueue)(cl_context context, cl_device_id device, cl_command_queue_properties props, cl_int *err);
static cl_int (*p_clReleaseCommandQueue)(cl_command_queue queue);
static cl_mem (*p_clCreateBuffer)(cl_context context, cl_mem_flags flags, size_t size, void *host, cl_int *err);
static cl_int (*p_clReleaseMemObject)(cl_mem mem);
static cl_program (*p_clCreateProgramWithSource)(cl_context context, cl_uint count, const char **strings, const size_t *lengths, cl_int *err);
static cl_int (*p_clBuildProgram)(cl_program program, cl_uint n, const cl_device_id *devices, const char *options, void (*notify)(cl_program, void *), void *user);
static cl_int (*p_clGetProgramBuildInfo)(cl_program program, cl_device_id device, cl_program_build_info name, size_t size, void *value, size_t *ret);
static cl_int (*p_clReleaseProgram)(cl_program program);
static cl_kernel (*p_clCreateKernel)(cl_program program, const char *name, cl_int *err);
static cl_int (*p_clReleaseKernel)(cl_kernel kernel);
static cl_int (*p_clSetKernelArg)(cl_kernel kernel, cl_uint index, size_t size, const void *value);
static cl_int (*p_clEnqueueNDRangeKernel)(cl_command_queue queue, cl_kernel kernel, cl_uint dims, const size_t *offset, const size_t *global, const size_t *local, cl_uint nwait, const cl_event *wait, cl_event *event);
static cl_int (*p_clEnqueueReadBuffer)(cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, size_t size, void *ptr, cl_uint nwait, const cl_event *wait, cl_event *event);
static cl_int (*p_clEnqueueWriteBuffer)(cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, size_t size, const void *ptr, cl_uint nwait, const cl_event *wait, cl_event *event);
static cl_int (*p_clFinish)(cl_command_queue queue);

static void load_cl(void) {
    void *handle = dlopen("libOpenCL.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(cl_error, sizeof cl_error,
                 "the OpenCL ICD loader could not be loaded (%s): install it and a driver "
                 "(Debian/Ubuntu: apt-get install ocl-icd-libopencl1 pocl-opencl-icd, or your GPU vendor's OpenCL ICD)",
                 dlerror());
        return;
    }
#define RESOLVE(name) \
    if (!(*(void **)(&p_##name) = dlsym(handle, #name))) { \
        snprintf(cl_error, sizeof cl_error, "libOpenCL.so.1 has no symbol " #name ": it is not an OpenCL 1.2 loader"); \
        return; \
    }
    RESOLVE(clGetPlatformIDs)
    RESOLVE(clGetPlatformInfo)
    RESOLVE(clGetDeviceIDs)
    RESOLVE(clGetDeviceInfo)
    RESOLVE(clCreateContext)
    RESOLVE(clReleaseContext)
    RESOLVE(clCreateCommandQueue)
    RESOLVE(clReleaseCommandQueue)
    RESOLVE(clCreateBuffer)
    RESOLVE(clReleaseMemObject)
    RESOLVE(clCreateProgramWithSource)
    RESOLVE(clBuildProgram)
    RESOLVE(clGetProgramBuildInfo)
    RESOLVE(clReleaseProgram)
    RESOLVE(clCreateKernel)
    RESOLVE(clReleaseKernel)
    RESOLVE(clSetKernelArg)
    RESOLVE(clEnqueueNDRangeKernel)
    RESOLVE(clEnqueueReadBuffer)
    RESOLVE(clEnqueueWriteBuffer)
    RESOLVE(clFinish)
#undef RESOLVE
    cl_loaded = 1;
}

int dd_cl_load(char *error, size_t error_size) {
    pthread_once(&cl_once, load_cl);
    if (cl_loaded) return 0;
    if (error && error_size) snprintf(error, error_size, "%s", cl_error);
    return -1;
}

// Each wrapper reports CL_PLATFORM_NOT_FOUND_KHR (-1001) / CL_INVALID_PLATFORM until the loader is in.
cl_int ddclGetPlatformIDs(cl_uint n, cl_platform_id *platforms, cl_uint *count) {
    if (!cl_loaded) { return -1001; }
    return p_clGetPlatformIDs(n, platforms, count);
}
cl_int ddclGetPlatformInfo(cl_platform_id p, cl_platform_info name, size_t size, void *value, size_t *ret) {
    if (!cl_loaded) { return -1001; }
    return p_clGetPlatformInfo(p, name, size, value, ret);
}
cl_int ddclGetDeviceIDs(cl_platform_id p, cl_device_type type, cl_uint n, cl_device_id *devices, cl_uint *count) {
    if (!cl_loaded) { return -1001; }
    return p_clGetDeviceIDs(p, type, n, devices, count);
}
cl_int ddclGetDeviceInfo(cl_device_id d, cl_device_info name, size_t size, void *value, size_t *ret) {
    if (!cl_loaded) { return -1001; }
    return p_clGetDeviceInfo(d, name, size, value, ret);
}
cl_context ddclCreateContext(const cl_context_properties *props, cl_uint n, const cl_device_id *devices, void (*notify)(const char *, const void *, size_t, void *), void *user, cl_int *err) {
    if (!cl_loaded) { if (err) *err = -1001; return NULL; }
    return p_clCreateContext(props, n, devices, notify, user, err);
}
cl_int ddclReleaseContext(cl_context context) {
    if (!cl_loaded) { return -1001; }
    return p_clReleaseContext(context);
}
cl_command_queue ddclCreateCommandQueue(cl_context context, cl_device_id device, cl_command_queue_properties props, cl_int *err) {
    if (!cl_loaded) { if (err) *err = -1001; return NULL; }
    return p_clCreateCommandQueue(context, device, props, err);
}
cl_int ddclReleaseCommandQueue(cl_command_queue queue) {
    if (!cl_loaded) { return -1001; }
    return p_clReleaseCommandQueue(queue);
}
cl_mem ddclCreateBuffer(cl_context context, cl_mem_flags flags, size_t size, void *host, cl_int *err) {
    if (!cl_loaded) { if (err) *err = -1001; return NULL; }
    return p_clCreateBuffer(context, flags, size, host, err);
}
cl_int ddclReleaseMemObject(cl_mem mem) {
    if (!cl_loaded) { return -1001; }
    return p_clReleaseMemObject(mem);
}
cl_program ddclCreateProgramWithSource(cl_context context, cl_uint count, const char **strings, const size_t *lengths, cl_int *err) {
    if (!cl_loaded) { if (err) *err = -1001; return NULL; }
    return p_clCreateProgramWithSource(context, count, strings, lengths, err);
}
cl_int ddclBuildProgram(cl_program program, cl_uint n, const cl_device_id *devices, const char *options, void (*notify)(cl_program, void *), void *user) {
    if (!cl_loaded) { return -1001; }
    return p_clBuildProgram(program, n, devices, options, notify, user);
}
cl_int ddclGetProgramBuildInfo(cl_program program, cl_device_id device, cl_program_build_info name, size_t size, void *value, size_t *ret) {
    if (!cl_loaded) { return -1001; }
    return p_clGetProgramBuildInfo(program, device, name, size, value, ret);
}
cl_int ddclReleaseProgram(cl_program program) {
    if (!cl_loaded) { return -1001; }
    return p_clReleaseProgram(program);
}
cl_kernel ddclCreateKernel(cl_program program, const char *name, cl_int *err) {
    if (!cl_loaded) { if (err) *err = -1001; return NULL; }
    return p_clCreateKernel(program, name, err);
}
cl_int ddclReleaseKernel(cl_kernel kernel) {
    if (!cl_loaded) { return -1001; }
    return p_clReleaseKernel(kernel);
}
cl_int ddclSetKernelArg(cl_kernel kernel, cl_uint index, size_t size, const void *value) {
    if (!cl_loaded) { return -1001; }
    return p_clSetKernelArg(kernel, index, size, value);
}
cl_int ddclEnqueueNDRangeKernel(cl_command_queue queue, cl_kernel kernel, cl_uint dims, const size_t *offset, const size_t *global, const size_t *local, cl_uint nwait, const cl_event *wait, cl_event *event) {
    if (!cl_loaded) { return -1001; }
    return p_clEnqueueNDRangeKernel(queue, kernel, dims, offset, global, local, nwait, wait, event);
}
cl_int ddclEnqueueReadBuffer(cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, size_t size, void *ptr, cl_uint nwait, const cl_event *wait, cl_event *event) {
    if (!cl_loaded) { return -1001; }
    return p_clEnqueueReadBuffer(queue, buffer, blocking, offset, size, ptr, nwait, wait, event);
}
cl_int ddclEnqueueWriteBuffer(cl_command_queue queue, cl_mem buffer, cl_bool blocking, size_t offset, size_t size, const void *ptr, cl_uint nwait, const cl_event *wait, cl_event *event) {
    if (!cl_loaded) { return -1001; }
    return p_clEnqueueWriteBuffer(queue, buffer, blocking, offset, size, ptr, nwait, wait, event);
}
cl_int ddclFinish(cl_command_queue queue) {
    if (!cl_loaded) { return -1001; }
    return p_clFinish(queue);
}
