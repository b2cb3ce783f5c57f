package io.github.decisionlog.exporter.journal;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.rollcycles.LegacyRollCycles;
import net.openhft.chronicle.queue.rollcycles.RollCycleArithmetic;

/**
 * A file a minute, indexed every 256th entry: Chronicle's {@link LegacyRollCycles#MINUTELY} indexes every 16th,
 * which costs appends a tenth of their speed, while the cycles that index sparsely are five minutes long or more.
 * File names, cycle length and index numbers are MINUTELY's (each file records its own index spacing), so a journal
 * written with either reads with the other.
 */
enum SparseMinutely implements RollCycle {
    MINUTELY;

    private static final int INDEX_COUNT = 2 << 10;
    private static final int INDEX_SPACING = 256;
    private final RollCycleArithmetic arithmetic = RollCycleArithmetic.of(INDEX_COUNT, INDEX_SPACING);

    @Override
    public String format() {
        return LegacyRollCycles.MINUTELY.format();
    }

    @Override
    public int lengthInMillis() {
        return LegacyRollCycles.MINUTELY.lengthInMillis();
    }

    @Override
    public int defaultIndexCount() {
        return INDEX_COUNT;
    }

    @Override
    public int defaultIndexSpacing() {
        return INDEX_SPACING;
    }

    @Override
    public long toIndex(int cycle, long sequenceNumber) {
        return arithmetic.toIndex(cycle, sequenceNumber);
    }

    @Override
    public long toSequenceNumber(long index) {
        return arithmetic.toSequenceNumber(index);
    }

    @Override
    public int toCycle(long index) {
        return arithmetic.toCycle(index);
    }

    @Override
    public long maxMessagesPerCycle() {
        return arithmetic.maxMessagesPerCycle();
    }
}
