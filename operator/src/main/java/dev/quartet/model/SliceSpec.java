package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * The MIG slice each replica needs: an explicit profile or a memory need (exactly one; the operator checks it,
 * since a CEL rule would make the CRD unusable with kubectl against servers older than 1.25).
 */
public class SliceSpec {

    @Pattern("^[1-7]g\\.[0-9]+gb(\\+me)?$")
    @JsonPropertyDescription(
            "A MIG profile name, e.g. 1g.6gb, 2g.12gb, 4g.24gb (A30) or 1g.10gb, 3g.40gb (A100-80GB, H100-80GB).")
    private String profile;

    @Min(1)
    @Max(80)
    @JsonPropertyDescription("Memory a replica needs in GiB; Quartet picks the smallest profile that fits.")
    private Integer memoryGiB;

    @JsonPropertyDescription("Only GPUs of this model: A30, A100-40GB, A100-80GB or H100-80GB.")
    private GpuModelName gpuModel;

    public String getProfile() {
        return profile;
    }

    public void setProfile(String profile) {
        this.profile = profile;
    }

    public Integer getMemoryGiB() {
        return memoryGiB;
    }

    public void setMemoryGiB(Integer memoryGiB) {
        this.memoryGiB = memoryGiB;
    }

    public GpuModelName getGpuModel() {
        return gpuModel;
    }

    public void setGpuModel(GpuModelName gpuModel) {
        this.gpuModel = gpuModel;
    }
}
