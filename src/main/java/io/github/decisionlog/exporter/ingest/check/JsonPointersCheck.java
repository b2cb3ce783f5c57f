package io.github.decisionlog.exporter.ingest.check;

import java.util.List;

import io.github.decisionlog.exporter.JsonPointers;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;

/**
 * Validates {@link JsonPointers} settings with the parser the redaction rules use, and names the first pointer that is
 * not one, and why, in the message. Registered in {@code META-INF/services/jakarta.validation.ConstraintValidator}, so
 * that the settings do not depend on ingest.
 */
public class JsonPointersCheck implements ConstraintValidator<JsonPointers, List<String>> {

    @Override
    public boolean isValid(List<String> pointers, ConstraintValidatorContext context) {
        if (pointers == null) {
            return true;
        }
        for (int i = 0; i < pointers.size(); i++) {
            try {
                JsonPointer.segments(pointers.get(i));
            } catch (IllegalArgumentException e) {
                context.disableDefaultConstraintViolation();
                context.buildConstraintViolationWithTemplate(("[" + i + "] '" + pointers.get(i)
                        + "' is not a JSON Pointer: " + e.getMessage()).replace("{", "\\{").replace("$", "\\$"))
                        .addConstraintViolation();
                return false;
            }
        }
        return true;
    }
}
