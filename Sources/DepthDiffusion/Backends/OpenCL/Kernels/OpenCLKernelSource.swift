/// The OpenCL C sources of the backend's kernels (OpenCL C 1.2), one readable source per group of
/// operations in the files beside this one. They are compiled at run time, once per device and set of
/// tile sizes, and cached for the life of the process (``OpenCLDeviceContext``).
enum OpenCLKernelSource {}
