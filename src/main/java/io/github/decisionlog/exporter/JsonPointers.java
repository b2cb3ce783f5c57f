package io.github.decisionlog.exporter;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.List;

import io.github.decisionlog.exporter.ingest.JsonPointer;
import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

/** Every string of the list is a JSON Pointer (RFC 6901) that names a value inside a record. */
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD, ElementType.RECORD_COMPONENT })
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = JsonPointers.Check.class)
public @interface JsonPointers {

    String message() default "must hold JSON Pointers such as /input/review/object/data";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    /** Names the first pointer that is not one, and why, in the message. */
    class Check implements ConstraintValidator<JsonPointers, List<String>> {

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
}
