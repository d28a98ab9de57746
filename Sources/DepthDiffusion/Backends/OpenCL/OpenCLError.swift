import CRuntimeLibraries

/// Turns an OpenCL status code into a typed error (or nothing on success).
func clCheck(_ status: cl_int, _ what: @autoclosure () -> String, bytes: Int = 0, device: String = "OpenCL device") throws {
    guard status != CL_SUCCESS else { return }
    switch status {
    case CL_MEM_OBJECT_ALLOCATION_FAILURE, CL_OUT_OF_RESOURCES, CL_OUT_OF_HOST_MEMORY, CL_INVALID_BUFFER_SIZE:
        throw TensorError.outOfMemory(bytes: bytes, device: device)
    case CL_DEVICE_NOT_AVAILABLE, CL_DEVICE_NOT_FOUND:
        throw TensorError.backendFailure("\(what()): the OpenCL device is not available (lost or busy); choose another with DEPTHDIFFUSION_BACKEND=opencl:P:D or use cpu")
    default:
        throw TensorError.backendFailure("\(what()) failed with OpenCL error \(status) (\(clErrorName(status)))")
    }
}

func clErrorName(_ status: cl_int) -> String {
    switch status {
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE"
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS"
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE"
    case CL_INVALID_WORK_ITEM_SIZE: return "CL_INVALID_WORK_ITEM_SIZE"
    case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE"
    case CL_INVALID_ARG_SIZE: return "CL_INVALID_ARG_SIZE"
    case CL_INVALID_ARG_VALUE: return "CL_INVALID_ARG_VALUE"
    case CL_INVALID_MEM_OBJECT: return "CL_INVALID_MEM_OBJECT"
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE"
    case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME"
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES"
    case CL_PLATFORM_NOT_FOUND_KHR_VALUE: return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL driver installed)"
    default: return "see CL/cl.h"
    }
}

/// `CL_PLATFORM_NOT_FOUND_KHR` from cl_ext.h, returned by the ICD loader when no driver is installed.
let CL_PLATFORM_NOT_FOUND_KHR_VALUE: cl_int = -1001
