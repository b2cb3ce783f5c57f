package io.github.decisionlog.exporter.ingest.check;

import java.util.Arrays;

/**
 * What one pass over a record found for redaction: the byte ranges of values that rules target, and which conditions
 * held. One per thread, reused for every record; it allocates only when a record holds a target.
 */
public final class RedactionScan {

    private RedactionRules.Rule[] rules = new RedactionRules.Rule[4];
    private int[] keyStarts = new int[4];
    private int[] starts = new int[4];
    private int[] ends = new int[4];
    private int count;
    private long conditionsMet;

    void reset() {
        count = 0;
        conditionsMet = 0;
    }

    /** Notes a target value starting at {@code start} (its member name at {@code keyStart}, or -1 in an array). */
    int begin(RedactionRules.Rule rule, int keyStart, int start) {
        if (count == starts.length) {
            int n = count * 2;
            rules = Arrays.copyOf(rules, n);
            keyStarts = Arrays.copyOf(keyStarts, n);
            starts = Arrays.copyOf(starts, n);
            ends = Arrays.copyOf(ends, n);
        }
        rules[count] = rule;
        keyStarts[count] = keyStart;
        starts[count] = start;
        return count++;
    }

    void end(int slot, int end) {
        ends[slot] = end;
    }

    void conditionMet(int condition) {
        conditionsMet |= 1L << condition;
    }

    /** True if some target's rule applies: it has no condition, or its condition held. */
    public boolean matched() {
        for (int i = 0; i < count; i++) {
            if (applies(i)) {
                return true;
            }
        }
        return false;
    }

    int size() {
        return count;
    }

    boolean applies(int i) {
        int c = rules[i].condition();
        return c < 0 || (conditionsMet & (1L << c)) != 0;
    }

    RedactionRules.Rule rule(int i) {
        return rules[i];
    }

    int keyStart(int i) {
        return keyStarts[i];
    }

    int start(int i) {
        return starts[i];
    }

    int end(int i) {
        return ends[i];
    }
}
