package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.agent.annotations.AnnotationRendering;
import dev.quartet.agent.annotations.DesiredAnnotations;
import dev.quartet.agent.annotations.PodKey;
import dev.quartet.agent.kubelet.PodResourcesReader;
import dev.quartet.agent.nvml.GpuFacts;
import dev.quartet.agent.nvml.InstanceFacts;
import dev.quartet.agent.nvml.NvmlReader;
import dev.quartet.nvidia.GpuInstance;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.podresources.UnixSocketGrpc;
import dev.quartet.podresources.v1.AllocatableResourcesRequest;
import dev.quartet.podresources.v1.ContainerDevices;
import dev.quartet.podresources.v1.PodResourcesListerGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The node agent's own NVML reader and PodResources client, run against what the simulator serves: the fake NVML
 * state it writes (read through the fake libnvidia-ml.so.1, by JNA) and its PodResources server on a unix socket. The
 * agent must see each GPU model's profile table exactly as dev.quartet.nvidia knows it, every MIG device where the
 * simulator created it, and give each pod the annotation the simulated kubelet writes today.
 */
class AgentReadsTheSimulatorTest {

    static final String LIBRARY = System.getProperty("quartet.fake-nvml.library");
    static final Path STATE = Path.of(System.getenv("QUARTET_FAKE_NVML_STATE"));

    @TempDir
    Path dir;

    /** GPU 0: the smallest profile at every start it can take; GPU 1: the whole GPU as one instance; GPU 2: MIG off. */
    static List<GpuHardware> gpus(GpuModel model) {
        MigProfile smallest = model.profiles().get(0);
        List<GpuInstance> small = new ArrayList<>();
        for (int start : smallest.starts()) {
            if (small.size() < smallest.maxCount()) {
                small.add(new GpuInstance(smallest, start));
            }
        }
        MigProfile whole = model.profiles().stream()
                .filter(p -> p.memorySlices() == model.memorySlices() && !p.mediaExtensions())
                .findFirst()
                .orElseThrow();
        return List.of(
                GpuHardware.of("node-a", 0, model, true, small),
                GpuHardware.of("node-a", 1, model, true, List.of(new GpuInstance(whole, 0))),
                GpuHardware.of("node-a", 2, model, false, List.of()));
    }

    @ParameterizedTest
    @MethodSource("dev.quartet.sim.SimulatedModels#all")
    void theAgentSeesEveryProfileAndDeviceAsTheSimulatorMadeThem(GpuModel model) throws Exception {
        List<GpuHardware> gpus = gpus(model);
        FakeNvmlState.write(STATE, FakeNvmlState.render(gpus, Map.of()));

        try (NvmlReader nvml = NvmlReader.open(LIBRARY)) {
            List<GpuFacts> facts = nvml.read();

            assertThat(facts).hasSize(3);
            for (int i = 0; i < 3; i++) {
                GpuHardware gpu = gpus.get(i);
                GpuFacts seen = facts.get(i);
                assertThat(seen.uuid()).isEqualTo(gpu.uuid());
                assertThat(seen.migEnabled()).isEqualTo(gpu.migEnabled());
                assertThat(seen.instances())
                        .extracting(InstanceFacts::profile, InstanceFacts::start, InstanceFacts::uuid)
                        .containsExactlyInAnyOrderElementsOf(gpu.devices().stream()
                                .map(d -> org.assertj.core.groups.Tuple.tuple(
                                        d.profile().name(), d.start(), d.uuid()))
                                .toList());
            }
            JsonNode table = new ObjectMapper()
                    .readTree(AnnotationRendering.profileTables(facts))
                    .get(FakeNvmlState.nvmlName(model));
            assertThat(table.get("memorySlices").asInt()).isEqualTo(model.memorySlices());
            assertThat(table.get("computeSlices").asInt()).isEqualTo(model.computeSlices());
            List<MigProfile> reported = StreamSupport.stream(
                            table.get("profiles").spliterator(), false)
                    .map(p -> new MigProfile(
                            p.get("giProfileId").asInt(),
                            p.get("name").asText(),
                            p.get("computeSlices").asInt(),
                            p.get("memorySlices").asInt(),
                            p.get("multiprocessors").asInt(),
                            p.get("maxCount").asInt(),
                            StreamSupport.stream(p.get("starts").spliterator(), false)
                                    .map(JsonNode::asInt)
                                    .toList()))
                    .toList();
            // the agent does not report engine counts (yet): compare without them
            assertThat(reported)
                    .containsExactlyInAnyOrderElementsOf(model.profiles().stream()
                            .map(MigProfile::withoutEngines)
                            .toList());
        }
    }

    @Test
    void podsGetTheAnnotationTheSimulatedKubeletWrites() {
        List<GpuHardware> gpus = gpus(GpuModel.A30);
        MigDevice second = gpus.get(0).devices().get(1);
        MigDevice whole = gpus.get(1).devices().get(0);
        FakeNvmlState.write(STATE, FakeNvmlState.render(gpus, Map.of(second.uuid(), List.of(4242L))));

        Path socket = dir.resolve("kubelet.sock");
        try (SimulatedPodResources kubelet = SimulatedPodResources.serve(socket);
                PodResourcesReader podResources = new PodResourcesReader(socket, Duration.ofSeconds(10));
                NvmlReader nvml = NvmlReader.open(LIBRARY)) {
            kubelet.update(
                    List.of(
                            new SimulatedPodResources.PodDevices(
                                    "ml",
                                    "r0",
                                    "worker",
                                    Map.of(second.uuid(), second.profile().resourceName())),
                            new SimulatedPodResources.PodDevices(
                                    "other",
                                    "big",
                                    "main",
                                    Map.of(whole.uuid(), whole.profile().resourceName()))),
                    gpus);

            List<GpuFacts> facts = nvml.read();
            DesiredAnnotations desired = AnnotationRendering.desired(podResources.list(), facts);

            assertThat(desired.pods())
                    .containsOnly(
                            Map.entry(new PodKey("ml", "r0"), second.annotationJson()),
                            Map.entry(new PodKey("other", "big"), whole.annotationJson()));
            assertThat(facts.get(0).instances())
                    .filteredOn(in -> second.uuid().equals(in.uuid()))
                    .singleElement()
                    .extracting(InstanceFacts::processes)
                    .isEqualTo(1);
        }
    }

    @Test
    void allocatableListsEveryAdvertisedDevice() {
        List<GpuHardware> gpus = gpus(GpuModel.A30);
        Path socket = dir.resolve("kubelet.sock");
        try (SimulatedPodResources kubelet = SimulatedPodResources.serve(socket);
                UnixSocketGrpc.Client client = UnixSocketGrpc.connect(socket)) {
            kubelet.update(List.of(), gpus);
            List<ContainerDevices> devices = PodResourcesListerGrpc.newBlockingStub(client.channel())
                    .getAllocatableResources(AllocatableResourcesRequest.getDefaultInstance())
                    .getDevicesList();

            assertThat(devices)
                    .extracting(ContainerDevices::getResourceName, ContainerDevices::getDeviceIdsCount)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("nvidia.com/mig-1g.6gb", 4),
                            org.assertj.core.groups.Tuple.tuple("nvidia.com/mig-4g.24gb", 1),
                            org.assertj.core.groups.Tuple.tuple("nvidia.com/gpu", 1));
        }
    }
}
