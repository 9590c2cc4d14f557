package dev.quartet.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The MIG slice each replica needs: an explicit profile or a memory need, exactly one. The CRD's rules refuse both or
 * neither, a profile name that is no MIG GPU-instance profile name ({@link #PROFILE_PATTERN}), with {@code gpuModel}
 * a profile that model lacks, and, with {@code gpuModel}, more memory than that model's largest profile holds, at
 * {@code kubectl apply}; SpecValidator checks the same for objects stored before those rules. A well-formed profile
 * no built-in model has is accepted without {@code gpuModel}: a GPU a node agent reports (an H200) may have it.
 */
@ValidationRule(
        value = "has(self.profile) != has(self.memoryGiB)",
        message = "spec.slice: set exactly one of profile and memoryGiB")
@ValidationRule(
        value = "!has(self.gpuModel) || !has(self.profile) || self.profile in " + MigProfileNames.BY_MODEL_CEL
                + "[self.gpuModel].split(', ')",
        messageExpression = "\"spec.slice.profile: \" + self.gpuModel + \" has no profile '\" + self.profile"
                + " + \"' (legal: \" + " + MigProfileNames.BY_MODEL_CEL + "[self.gpuModel] + \")\"",
        message = "spec.slice.profile: spec.slice.gpuModel has no such profile; profiles by model: "
                + MigProfileNames.KNOWN,
        fieldPath = ".profile",
        reason = "FieldValueInvalid")
@ValidationRule(
        value = "!has(self.gpuModel) || !has(self.memoryGiB) || self.memoryGiB <= "
                + MigProfileNames.LARGEST_GIB_BY_MODEL_CEL + "[self.gpuModel]",
        messageExpression = "\"spec.slice.memoryGiB: more than the largest \" + self.gpuModel + \" profile holds\"",
        message = "spec.slice.memoryGiB: more than the largest profile of spec.slice.gpuModel holds",
        fieldPath = ".memoryGiB",
        reason = "FieldValueInvalid")
public class SliceSpec {

    /** What a profile name must look like: {@code <g>g.<gb>gb}, optionally {@code +me}, with 1 to 7 compute slices. */
    public static final String PROFILE_PATTERN = "^[1-7]g\\.[0-9]+gb(\\+me)?$";

    @Pattern(PROFILE_PATTERN)
    @JsonPropertyDescription("A MIG profile name, e.g. 1g.6gb, 2g.12gb, 4g.24gb (A30), 1g.10gb, 3g.40gb (A100-80GB,"
            + " H100-80GB), or one of a GPU a node agent reports (1g.18gb on an H200).")
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
