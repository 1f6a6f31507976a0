import { ValidationError } from 'class-validator';
import { ValidationFailedError } from './domain.error';

/** Flattens class-validator's tree into `{ "items.0.title": ["…"] }`. */
export function flattenValidationErrors(
  errors: ValidationError[],
  parent = '',
  into: Record<string, string[]> = {},
): Record<string, string[]> {
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints) {
      into[path] = Object.entries(error.constraints).map(([rule, message]) =>
        // forbidNonWhitelisted reports "property x should not exist"; say it plainly.
        rule === 'whitelistValidation' ? `${path} is not an accepted field.` : message,
      );
    }
    if (error.children?.length) flattenValidationErrors(error.children, path, into);
  }
  return into;
}

export function validationExceptionFactory(errors: ValidationError[]): ValidationFailedError {
  return new ValidationFailedError(flattenValidationErrors(errors));
}
