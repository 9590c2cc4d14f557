package dev.quartet.crd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.dependent.ReplicaPodFactory;
import dev.quartet.model.WorkerSpec;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The CRD's rules on spec.worker.env are written out in WorkerSpec, one per variable: they must refuse exactly the
 * variables the operator sets (ReplicaPodFactory.DERIVED_ENV, the port and the MIG device), each naming the field.
 */
class WorkerEnvRulesTest {

    private static final Pattern RULE = Pattern.compile("!self\\.exists\\(e, e\\.name == '([A-Z0-9_]+)'\\)");
    private static final Pattern FROM = Pattern.compile(" is set by Quartet from (\\S+); set that field instead$");

    @Test
    void theEnvRulesRefuseWhatTheOperatorSetsAndNameItsSource() throws Exception {
        ValidationRule[] rules = WorkerSpec.class.getDeclaredField("env").getAnnotationsByType(ValidationRule.class);
        Map<String, String> refused = new LinkedHashMap<>();
        for (ValidationRule rule : rules) {
            Matcher variable = RULE.matcher(rule.value());
            assertThat(variable.matches()).as(rule.value()).isTrue();
            assertThat(rule.message()).startsWith("spec.worker.env: " + variable.group(1) + " is set by Quartet ");
            Matcher from = FROM.matcher(rule.message());
            refused.put(variable.group(1), from.find() ? from.group(1) : "the device plugin");
        }

        Map<String, String> expected = new LinkedHashMap<>(ReplicaPodFactory.DERIVED_ENV);
        expected.put("QUARKUS_HTTP_PORT", "the device plugin");
        expected.put("QUARKUS_GRPC_SERVER_PORT", "the device plugin");
        expected.put("NVIDIA_VISIBLE_DEVICES", "the device plugin");
        assertThat(refused).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(Arrays.stream(rules).map(ValidationRule::value).distinct()).hasSize(rules.length);
    }
}
