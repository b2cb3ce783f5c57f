package io.github.decisionlog.exporter;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;

/** Every string of the list is a JSON Pointer (RFC 6901) that names a value inside a record. */
@Target({ ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD, ElementType.RECORD_COMPONENT })
@Retention(RetentionPolicy.RUNTIME)
@Constraint(validatedBy = {}) // ingest.check.JsonPointersCheck, registered in META-INF/services
public @interface JsonPointers {

    String message() default "must hold JSON Pointers such as /input/review/object/data";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
}
