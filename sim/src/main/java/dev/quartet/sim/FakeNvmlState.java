package dev.quartet.sim;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfile;
import dev.quartet.nvidia.MigProfileTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The state file of the fake NVML (node-agent/src/fake-nvml/fake_nvml.c, which documents the format): a simulated
 * node's GPUs as NVML would report them. Written whole to a temporary file and renamed, so the fake never reads half a
 * file. GPU instance ids count from 1 in the order the GPU's devices were created, each with compute instance 0; the
 * MIG device slots follow the same order. Each profile's memory is its share of the GPU's memory, which names it
 * exactly as the device plugin does.
 */
public final class FakeNvmlState {

    private FakeNvmlState() {}

    /**
     * The file's text for {@code gpus}, with {@code pids} (MIG device UUID to the processes running on it).
     */
    public static String render(List<GpuHardware> gpus, Map<String, List<Long>> pids) {
        StringBuilder out = new StringBuilder("# fake NVML state, written by the GPU node simulator\n");
        for (GpuHardware gpu : gpus) {
            GpuModel model = gpu.model();
            MigProfileTable table = model.migTable();
            out.append("gpu ")
                    .append(gpu.index())
                    .append(' ')
                    .append(gpu.uuid())
                    .append(' ')
                    .append(model.memoryMiB())
                    .append(gpu.migEnabled() ? " 1 1 " : " 0 0 ")
                    .append(nvmlName(model))
                    .append('\n');
            for (MigProfile p : table.profiles()) {
                out.append("profile ")
                        .append(gpu.index())
                        .append(' ')
                        .append(NvmlProfileIndex.of(p, table))
                        .append(' ')
                        .append(p.giProfileId())
                        .append(' ')
                        .append(p.computeSlices())
                        .append(' ')
                        .append(p.maxCount())
                        .append(' ')
                        .append(p.multiprocessors())
                        .append(' ')
                        .append((long) model.memoryMiB() * p.memorySlices() / table.memorySlices())
                        .append(' ')
                        .append(p.starts().stream()
                                .map(s -> s + ":" + p.memorySlices())
                                .collect(Collectors.joining(",")))
                        .append('\n');
            }
            if (!gpu.migEnabled()) {
                continue;
            }
            List<MigDevice> devices = gpu.devices();
            for (int i = 0; i < devices.size(); i++) {
                MigDevice d = devices.get(i);
                int giId = i + 1;
                out.append("gi ")
                        .append(gpu.index())
                        .append(' ')
                        .append(giId)
                        .append(' ')
                        .append(d.profile().giProfileId())
                        .append(' ')
                        .append(d.start())
                        .append(' ')
                        .append(d.profile().memorySlices())
                        .append('\n');
                List<Long> running = pids.getOrDefault(d.uuid(), List.of());
                out.append("mig ")
                        .append(gpu.index())
                        .append(' ')
                        .append(i)
                        .append(' ')
                        .append(giId)
                        .append(" 0 ")
                        .append(d.uuid())
                        .append(' ')
                        .append(
                                running.isEmpty()
                                        ? "-"
                                        : running.stream().map(String::valueOf).collect(Collectors.joining(",")))
                        .append('\n');
            }
        }
        return out.toString();
    }

    /** NVML's device name: GFD's product label is this name with blanks written as dashes. */
    static String nvmlName(GpuModel model) {
        return model.product().replaceFirst("-", " ");
    }

    /** Replaces {@code file} with {@code text} in one rename. */
    public static void write(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fake NVML state " + file, e);
        }
    }
}
