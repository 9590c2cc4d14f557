package dev.quartet.model;

/**
 * The MIG profile names of each built-in GPU model, as compile-time constants for the CRD's validation rules on
 * {@link SliceSpec} (annotation values cannot call the nvidia module's {@code GpuModel}, which the model may not
 * import). {@code MigProfileNamesTest} fails when these differ from {@code GpuModel}'s profile tables. A model a node
 * agent reports at run time has no entry here: {@code gpuModel} cannot name it.
 */
public final class MigProfileNames {

    /** Profiles of an A30, smallest first, as {@code GpuModel.profileNames} writes them. */
    public static final String A30 = "1g.6gb, 1g.6gb+me, 2g.12gb, 2g.12gb+me, 4g.24gb";

    public static final String A100_40GB = "1g.5gb, 1g.5gb+me, 1g.10gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb";
    public static final String A100_80GB = "1g.10gb, 1g.10gb+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb";
    public static final String H100_80GB = "1g.10gb, 1g.10gb+me, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, 7g.80gb";

    /**
     * A CEL map from {@code spec.slice.gpuModel} (as {@link GpuModelName} spells it) to that model's profiles. The
     * rules split the value on ", ": CEL's {@code join} would do the reverse, but its estimated cost is too high for
     * the API server to accept it in a CRD.
     */
    public static final String BY_MODEL_CEL = "{'A30': '" + A30 + "', 'A100-40GB': '" + A100_40GB + "', 'A100-80GB': '"
            + A100_80GB + "', 'H100-80GB': '" + H100_80GB + "'}";

    /**
     * A CEL map from {@code spec.slice.gpuModel} to the memory in GiB of that model's largest profile: a
     * {@code memoryGiB} above it can never fit on that model.
     */
    public static final String LARGEST_GIB_BY_MODEL_CEL =
            "{'A30': 24, 'A100-40GB': 40, 'A100-80GB': 80, 'H100-80GB': 80}";

    /** Every model with its profiles, for messages: the list SpecValidator gives for a malformed profile. */
    public static final String KNOWN =
            "A30: " + A30 + "; A100-40GB: " + A100_40GB + "; A100-80GB: " + A100_80GB + "; H100-80GB: " + H100_80GB;

    private MigProfileNames() {}

    /** The profiles of one model, comma-separated, smallest first. */
    public static String of(GpuModelName model) {
        return switch (model) {
            case A30 -> A30;
            case A100_40GB -> A100_40GB;
            case A100_80GB -> A100_80GB;
            case H100_80GB -> H100_80GB;
        };
    }
}
