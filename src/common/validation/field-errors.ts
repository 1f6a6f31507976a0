import { ValidationFailedError } from '../errors/domain.error';

/** Field messages gathered while checking one operation, thrown together as one 422. */
export class FieldErrors {
  readonly errors: Record<string, string[]> = {};

  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }

  has(field?: string): boolean {
    return field === undefined ? Object.keys(this.errors).length > 0 : field in this.errors;
  }

  throwIfAny(): void {
    if (this.has()) throw new ValidationFailedError(this.errors);
  }
}
