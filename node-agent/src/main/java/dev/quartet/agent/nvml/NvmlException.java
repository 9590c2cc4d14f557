package dev.quartet.agent.nvml;

/** An NVML call that returned an error: the call, NVML's code and NVML's own words for it. */
public class NvmlException extends RuntimeException {

    private final int code;

    public NvmlException(String call, int code, String message) {
        super(call + " failed: " + message + " (nvmlReturn_t " + code + ")");
        this.code = code;
    }

    public int code() {
        return code;
    }
}
