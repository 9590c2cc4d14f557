package dev.quartet.planner;

/**
 * One current MIG instance and what runs on it. {@code replica} null: the instance is free. {@code replica} set
 * and {@code demand} null: a foreign workload, never moved. {@code movable}: this replica may be drained so its
 * GPU can be repartitioned (it is moved only if its demand is also movable).
 */
public record InstanceState(String profile, int start, String replica, String demand, boolean movable) {

    public static InstanceState free(String profile, int start) {
        return new InstanceState(profile, start, null, null, false);
    }

    public boolean isFree() {
        return replica == null;
    }

    public boolean isForeign() {
        return replica != null && demand == null;
    }

    public Instance instance() {
        return new Instance(profile, start);
    }
}
