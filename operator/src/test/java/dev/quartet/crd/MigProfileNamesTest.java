package dev.quartet.crd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.model.GpuModelName;
import dev.quartet.model.MigProfileNames;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The CRD's profile rules are written from MigProfileNames: it must say what the nvidia module's tables say. */
class MigProfileNamesTest {

    @ParameterizedTest
    @EnumSource(GpuModelName.class)
    void eachModelHasTheProfilesOfTheCatalog(GpuModelName name) {
        GpuModel model = GpuModel.parse(name.value());

        assertThat(model.displayName()).isEqualTo(name.value());
        assertThat(MigProfileNames.of(name)).isEqualTo(model.profileNames());
    }

    @Test
    void theCrdKnowsEveryModelOfTheCatalog() {
        assertThat(Arrays.stream(GpuModelName.values()).map(GpuModelName::value))
                .containsExactlyElementsOf(
                        GpuModel.builtIns().stream().map(GpuModel::displayName).toList());
    }

    @Test
    void theRulesMapEveryModelToItsProfiles() {
        String expected = Arrays.stream(GpuModelName.values())
                .map(n -> "'" + n.value() + "': '" + GpuModel.parse(n.value()).profileNames() + "'")
                .collect(Collectors.joining(", ", "{", "}"));

        assertThat(MigProfileNames.BY_MODEL_CEL).isEqualTo(expected);
    }

    @Test
    void theRulesMapEveryModelToItsLargestProfilesMemory() {
        String expected = Arrays.stream(GpuModelName.values())
                .map(n -> "'" + n.value() + "': "
                        + GpuModel.parse(n.value()).profiles().stream()
                                .mapToInt(MigProfile::memoryGiB)
                                .max()
                                .orElseThrow())
                .collect(Collectors.joining(", ", "{", "}"));

        assertThat(MigProfileNames.LARGEST_GIB_BY_MODEL_CEL).isEqualTo(expected);
    }

    @Test
    void theProfilesByModelMessageListsWhatSpecValidatorLists() {
        String expected = GpuModel.builtIns().stream()
                .map(m -> m.displayName() + ": " + m.profileNames())
                .collect(Collectors.joining("; "));

        assertThat(MigProfileNames.KNOWN).isEqualTo(expected);
    }
}
