package io.github.decisionlog.exporter.journal;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** Pages of a file mapping made present in one call: they take their disk blocks, and no byte changes. */
class PopulateWriteTest {

    @TempDir
    Path dir;

    @Test
    void aRangeIsMadePresentWithoutChangingWhatIsWrittenThere() throws Exception {
        File file = dir.resolve("mapped").toFile();
        byte[] text = "written before".getBytes(StandardCharsets.US_ASCII);
        try (MappedBytes bytes = MappedBytes.mappedBytes(file, 8 << 20)) {
            bytes.write(0, text);
            long before = FileBlocks.underDirectory(dir);
            BytesStore<?, ?> block = bytes.bytesStore();

            assertThat(PopulateWrite.range(block.addressForWrite(0), 4 << 20)).as("madvise(MADV_POPULATE_WRITE)").isTrue();

            assertThat(FileBlocks.underDirectory(dir) - before).as("bytes the range took on disk")
                    .isGreaterThanOrEqualTo((4 << 20) - 4096);
            byte[] read = new byte[text.length];
            for (int i = 0; i < read.length; i++) {
                read[i] = bytes.readByte(i);
            }
            assertThat(read).isEqualTo(text);
            assertThat(bytes.readInt(2 << 20)).isZero();
        }
    }
}
