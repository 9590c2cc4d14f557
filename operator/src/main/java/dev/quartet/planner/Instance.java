package dev.quartet.planner;

/** One GPU instance of a layout: a profile name at a start memory slice. */
public record Instance(String profile, int start) {

    @Override
    public String toString() {
        return profile + "@" + start;
    }
}
