package dev.quartet;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.lang.ArchRule;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.Inventory;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentStatus;
import dev.quartet.node.MigBackend;
import dev.quartet.node.NewPodGate;
import dev.quartet.planner.Plan;
import dev.quartet.reconciler.GpuNodeReconciler;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's layering (docs/operator.md, "Packages"), checked on its compiled classes: each rule says which
 * decision it keeps. Plain JUnit, no Quarkus: the classes are read from the directory the build compiled them to.
 */
class ArchitectureTest {

    /** All the planner may use: the JDK, itself and the NVIDIA facts module (GPU models, MIG profile tables). */
    static final String[] PLANNER_MAY_USE = {"java..", "dev.quartet.planner..", "dev.quartet.nvidia.."};

    /** The CRD classes may use the JDK, fabric8's model and annotations, Jackson, and fabric8's CustomResource. */
    static final String[] MODEL_MAY_USE = {
        "java..",
        "dev.quartet.model..",
        "io.fabric8.kubernetes.api.model..",
        "io.fabric8.kubernetes.model.annotation..",
        "io.fabric8.generator.annotation..",
        "io.fabric8.crd.generator.annotation..",
        "com.fasterxml.jackson.annotation.."
    };

    static final ArchRule PLANNER_IS_PURE_JAVA = classes()
            .that()
            .resideInAPackage("dev.quartet.planner..")
            .should()
            .onlyDependOnClassesThat()
            .resideInAnyPackage(PLANNER_MAY_USE)
            .because("the planner is pure and deterministic: it needs no cluster (kubectl quartet plan runs it on a"
                    + " file), knows no Kubernetes, and the actuators depend on its Plan, never the reverse");

    static final ArchRule MODEL_HAS_NO_OPERATOR_CODE = classes()
            .that()
            .resideInAPackage("dev.quartet.model..")
            .should()
            .onlyDependOnClassesThat(resideInAnyPackage(MODEL_MAY_USE).or(equivalentTo(CustomResource.class)))
            .because("the CRD classes are the API: the CRD is generated from them and they must not depend on the"
                    + " operator (no other Quartet package, no JOSDK, no Quarkus)");

    static final ArchRule NO_PACKAGE_CYCLES = slices().matching("dev.quartet.(*)..")
            .should()
            .beFreeOfCycles()
            .because("each package builds on lower ones only (model, planner, config; inventory; status, dependent,"
                    + " demand; preview; node; reconciler; admission, cli), so each can be read and tested without the"
                    + " ones above it");

    static final ArchRule INVENTORY_ONLY_OBSERVES = noClasses()
            .that()
            .resideInAPackage("dev.quartet.inventory..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.quartet.node..", "dev.quartet.dependent..", "dev.quartet.reconciler..", "dev.quartet.status..")
            .because("the inventory observes the cluster for the planner: what acts on the plan (the node backend, the"
                    + " dependents, the reconciler) and what reports it (status) build on the inventory, not the"
                    + " reverse; Quartet's labels and annotations it reads are defined in the inventory, NVIDIA's and the"
                    + " mig-parted file in dev.quartet.nvidia");

    static final ArchRule ONE_SEAM_FOR_THE_MIG_BACKEND = noClasses()
            .that()
            .resideOutsideOfPackage("dev.quartet.node..")
            .should()
            .dependOnClassesThat(
                    resideInAPackage("dev.quartet.node..").and(not(belongToAnyOf(MigBackend.class, NewPodGate.class))))
            .because("the rest of the operator reaches the node backend through its seam only (MigBackend drives the"
                    + " layouts, NewPodGate says when slices are ready for new pods), so MIG Manager can be replaced"
                    + " (by DRA) without touching its users");

    static final ArchRule ONLY_THE_NODE_LOOP_APPLIES_PLANS_TO_NODES = noClasses()
            .that()
            .doNotBelongToAnyOf(GpuNodeReconciler.class)
            .should()
            .callMethod(
                    MigBackend.class,
                    "reconcileNode",
                    String.class,
                    Plan.class,
                    Inventory.class,
                    ClusterSnapshot.class,
                    Instant.class)
            .because("planning (ClusterPlanning, which every deployment's reconcile asks for the view) only reads: the"
                    + " node loop, one reconcile per node, applies the plan to nodes, so a node-side failure is the"
                    + " node's and the affected deployments', never whichever deployment was reconciling");

    static final ArchRule CLI_RUNS_WITHOUT_THE_OPERATOR = noClasses()
            .that()
            .resideInAPackage("dev.quartet.cli..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.quartet.reconciler..",
                    "dev.quartet.node..",
                    "dev.quartet.dependent..",
                    "dev.quartet.config..",
                    "io.javaoperatorsdk..",
                    "jakarta.enterprise..",
                    "jakarta.inject..")
            .because("kubectl quartet is a plain main (bin/kubectl-quartet) with no Quarkus container: it plans and"
                    + " draws with the planner and the inventory, and never acts on the cluster");

    static final ArchRule PREVIEW_ONLY_DERIVES = noClasses()
            .that()
            .resideInAPackage("dev.quartet.preview..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.quartet.reconciler..",
                    "dev.quartet.node..",
                    "dev.quartet.admission..",
                    "dev.quartet.cli..",
                    "dev.quartet.config..",
                    "io.fabric8.kubernetes.client..",
                    "io.javaoperatorsdk..",
                    "jakarta.enterprise..",
                    "jakarta.inject..")
            .because("the planning input and what a plan does are derived, not fetched: the operator, its admission"
                    + " webhook and kubectl quartet read the cluster their own way and plan alike from the same input,"
                    + " so a preview says what the operator will do");

    static final ArchRule ONLY_THE_OPERATOR_SERVES_ADMISSION = noClasses()
            .that()
            .resideOutsideOfPackage("dev.quartet.admission..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.quartet.admission..")
            .because("the admission webhook is an entry point like the reconciler: it builds on the planning the"
                    + " reconciler does, and nothing builds on it");

    static final ArchRule STATUS_BUILDER_OWNS_CONDITIONS = noClasses()
            .that()
            .resideOutsideOfPackage("dev.quartet.status..")
            .should()
            .callConstructorWhere(target(owner(assignableTo(Condition.class))))
            .orShould()
            .dependOnClassesThat(belongToAnyOf(ConditionBuilder.class))
            .orShould()
            .callMethod(InferenceDeploymentStatus.class, "setConditions", List.class)
            .because("one status builder owns every condition (Ready, Progressing, Degraded) and keeps"
                    + " lastTransitionTime unless a status flips");

    private static JavaClasses operator;

    @BeforeAll
    static void importOperatorClasses() {
        // The operator's main classes only: the simulator and test-support share the dev.quartet prefix and are on
        // the test class path, and the tests are not part of the layering.
        operator = new ClassFileImporter().importLocations(List.of(Location.of(mainClasses())));
    }

    /** operator/target/classes, where the build compiled the operator's main classes. */
    private static Path mainClasses() {
        try {
            return Path.of(InferenceDeployment.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void importedTheWholeOperator() {
        assertThat(operator.stream().map(c -> c.getPackageName()).distinct())
                .contains(
                        "dev.quartet.planner",
                        "dev.quartet.model",
                        "dev.quartet.reconciler",
                        "dev.quartet.node",
                        "dev.quartet.preview",
                        "dev.quartet.admission")
                .noneMatch(p -> p.startsWith("dev.quartet.sim") || p.startsWith("dev.quartet.testsupport"));
    }

    @Test
    void plannerIsPureJava() {
        PLANNER_IS_PURE_JAVA.check(operator);
    }

    @Test
    void modelHasNoOperatorCode() {
        MODEL_HAS_NO_OPERATOR_CODE.check(operator);
    }

    @Test
    void noPackageCycles() {
        NO_PACKAGE_CYCLES.check(operator);
    }

    @Test
    void inventoryOnlyObserves() {
        INVENTORY_ONLY_OBSERVES.check(operator);
    }

    @Test
    void oneSeamForTheMigBackend() {
        ONE_SEAM_FOR_THE_MIG_BACKEND.check(operator);
    }

    @Test
    void onlyTheNodeLoopAppliesPlansToNodes() {
        ONLY_THE_NODE_LOOP_APPLIES_PLANS_TO_NODES.check(operator);
        // The rule names the method the node loop does call, so it does not hold for want of a match.
        classes()
                .that()
                .belongToAnyOf(GpuNodeReconciler.class)
                .and()
                .areTopLevelClasses()
                .should()
                .callMethod(
                        MigBackend.class,
                        "reconcileNode",
                        String.class,
                        Plan.class,
                        Inventory.class,
                        ClusterSnapshot.class,
                        Instant.class)
                .check(operator);
    }

    @Test
    void cliRunsWithoutTheOperator() {
        CLI_RUNS_WITHOUT_THE_OPERATOR.check(operator);
    }

    @Test
    void previewOnlyDerives() {
        PREVIEW_ONLY_DERIVES.check(operator);
    }

    @Test
    void onlyTheOperatorServesAdmission() {
        ONLY_THE_OPERATOR_SERVES_ADMISSION.check(operator);
    }

    @Test
    void statusBuilderOwnsConditions() {
        STATUS_BUILDER_OWNS_CONDITIONS.check(operator);
    }

    private static final Pattern IMPORT =
            Pattern.compile("^import\\s+(?:static\\s+)?([\\w.*]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern QUARTET_PACKAGE = Pattern.compile("^dev\\.quartet\\.(\\w+)\\.");

    /**
     * ArchUnit reads bytecode, where javac has inlined every compile-time constant: a class that uses only another
     * package's constant strings (label and annotation names) depends on it with no trace in its class file. Before
     * the cycles were cut, StatusBuilder reached node that way (QuartetLabels), unseen by the rules above. So the
     * planner rule and the cycle rule are checked on the imports of the sources too.
     */
    @Test
    void sourceImportsKeepThePlannerAndCycleRules() throws IOException {
        Map<String, Set<String>> imports = sourceImports(
                mainClasses().resolve("../../src/main/java/dev/quartet").normalize());
        assertThat(imports).containsKeys("planner", "model", "reconciler");

        List<String> plannerMayImport = Arrays.stream(PLANNER_MAY_USE)
                .map(p -> p.substring(0, p.length() - 1))
                .toList();
        assertThat(imports.get("planner"))
                .as("imports of dev.quartet.planner outside %s", plannerMayImport)
                .filteredOn(i -> plannerMayImport.stream().noneMatch(i::startsWith))
                .isEmpty();

        Map<String, Set<String>> graph = new TreeMap<>();
        imports.forEach((pkg, imported) -> {
            Set<String> to = new TreeSet<>();
            for (String i : imported) {
                Matcher m = QUARTET_PACKAGE.matcher(i);
                if (m.find() && !m.group(1).equals(pkg)) {
                    to.add(m.group(1));
                }
            }
            graph.put(pkg, to);
        });
        assertThat(cycle(graph))
                .as("a cycle of dev.quartet packages in the imports")
                .isEmpty();
    }

    /** Per top-level package under {@code root}, everything its sources import. */
    private static Map<String, Set<String>> sourceImports(Path root) throws IOException {
        Map<String, Set<String>> imports = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = root.relativize(f).getName(0).toString();
                Matcher m = IMPORT.matcher(Files.readString(f));
                while (m.find()) {
                    imports.computeIfAbsent(pkg, k -> new TreeSet<>()).add(m.group(1));
                }
            }
        }
        return imports;
    }

    /** A cycle of the graph as the list of its nodes, or an empty list if there is none. */
    private static List<String> cycle(Map<String, Set<String>> graph) {
        Set<String> done = new TreeSet<>();
        for (String start : graph.keySet()) {
            List<String> found = cycleFrom(start, graph, new ArrayList<>(), done);
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    private static List<String> cycleFrom(
            String node, Map<String, Set<String>> graph, List<String> path, Set<String> done) {
        int at = path.indexOf(node);
        if (at >= 0) {
            List<String> found = new ArrayList<>(path.subList(at, path.size()));
            found.add(node);
            return found;
        }
        if (done.contains(node)) {
            return List.of();
        }
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            List<String> found = cycleFrom(next, graph, path, done);
            if (!found.isEmpty()) {
                return found;
            }
        }
        path.remove(path.size() - 1);
        done.add(node);
        return List.of();
    }
}
