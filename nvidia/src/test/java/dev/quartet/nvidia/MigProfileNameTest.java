package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** NVIDIA's profile-name grammar, as go-nvlib's parseMigProfile reads it. */
class MigProfileNameTest {

    @Test
    void everyProfileOfNvidiasDefaultFileIsAValidName() {
        MigPartedConfig nvidia = MigPartedConfig.parse(NvidiaDefaultConfig.text());
        List<String> names = nvidia.configs().values().stream()
                .flatMap(List::stream)
                .flatMap(e -> e.migDevices().keySet().stream())
                .distinct()
                .toList();

        assertThat(names).contains("1g.6gb+me", "1g.24gb-me", "1g.24gb+me.all", "2g.48gb+gfx", "7g.278gb");
        // written back as NVIDIA writes them, they are the same text
        assertThat(names)
                .allSatisfy(n -> assertThat(MigProfileName.parse(n).toString()).isEqualTo(n));
    }

    @Test
    void theFieldsAndAttributesAreRead() {
        assertThat(MigProfileName.parse("1g.6gb")).isEqualTo(new MigProfileName(1, 1, 6, List.of(), List.of()));
        assertThat(MigProfileName.parse("1c.2g.10gb")).isEqualTo(new MigProfileName(1, 2, 10, List.of(), List.of()));
        assertThat(MigProfileName.parse("1g.24gb+me.all"))
                .isEqualTo(new MigProfileName(1, 1, 24, List.of("me.all"), List.of()));
        assertThat(MigProfileName.parse("1g.24gb-me"))
                .isEqualTo(new MigProfileName(1, 1, 24, List.of(), List.of("me")));
        assertThat(MigProfileName.parse("1g.24gb+gfx,me").attributes()).containsExactly("gfx", "me");
        assertThat(MigProfileName.parse("1c.1g.6gb")).hasToString("1g.6gb");
    }

    @Test
    void mediaExtensionsAreMeAndMeAllButNotMinusMe() {
        assertThat(MigProfileName.parse("1g.6gb+me").hasMediaExtensions()).isTrue();
        assertThat(MigProfileName.parse("1g.24gb+me.all").hasMediaExtensions()).isTrue();
        assertThat(MigProfileName.parse("1g.24gb-me").hasMediaExtensions()).isFalse();
        assertThat(MigProfileName.parse("1g.24gb+gfx").hasMediaExtensions()).isFalse();
        assertThat(MigProfileName.parse("1g.6gb").hasMediaExtensions()).isFalse();
    }

    @Test
    void namesMatchAsMigPartedMatchesThem() {
        MigProfileName plain = MigProfileName.parse("1g.6gb");
        assertThat(plain.matches(MigProfileName.parse("1c.1g.6gb"))).isTrue();
        assertThat(plain.matches(MigProfileName.parse("1g.6gb+me"))).isFalse();
        assertThat(plain.matches(MigProfileName.parse("1g.5gb"))).isFalse();
        assertThat(MigProfileName.parse("1g.24gb+gfx,me").matches(MigProfileName.parse("1g.24gb+me,gfx")))
                .isTrue();
        assertThat(MigProfileName.parse("1g.24gb-me").matches(MigProfileName.parse("1g.24gb+me")))
                .isFalse();
    }

    @Test
    void whatGoNvlibRefusesIsRefused() {
        for (String bad : List.of(
                "",
                "big",
                "1g",
                "1g.6",
                "1x.6gb",
                "g.6gb",
                "1g.6gb.x",
                "1g.6gb+",
                "1g.6gb+me,",
                "1g.6gb+me,me",
                "1g.6gb+1me",
                "1g.6gb+.me",
                "1g.6gb+me.",
                "1g.6gb+m e",
                "1g.6gb+me-x",
                " 1g.6gb",
                "1g.6gb ")) {
            assertThat(MigProfileName.isValid(bad)).as("'%s'", bad).isFalse();
        }
        assertThatThrownBy(() -> MigProfileName.parse("1g.6gb+me-x")).hasMessageContaining("both '+/-' attributes");
    }

    @Test
    void aSliceMayAskForAnyWellFormedGpuInstanceProfileName() {
        // An H200's profiles are in no table here; the name alone is checked.
        assertThat(MigProfileName.gpuInstanceNameProblem("1g.18gb")).isNull();
        assertThat(MigProfileName.gpuInstanceNameProblem("1g.18gb+me")).isNull();
        assertThat(MigProfileName.gpuInstanceNameProblem("7g.141gb")).isNull();
        assertThat(MigProfileName.gpuInstanceNameProblem("1c.2g.10gb")).contains("names a compute instance");
        assertThat(MigProfileName.gpuInstanceNameProblem("1g.06gb"))
                .contains("not written as NVIDIA writes it: 1g.6gb");
        assertThat(MigProfileName.gpuInstanceNameProblem("1g.18")).contains("cannot parse fields of '1g.18'");
        assertThat(MigProfileName.gpuInstanceNameProblem("")).isEqualTo("profile is the empty string");
    }
}
