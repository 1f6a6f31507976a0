import { Injectable, PipeTransform } from '@nestjs/common';
import { NotFoundError } from '../errors/domain.error';

/**
 * Path ids: a positive integer, else 404 — `/members/abc` names nothing, exactly like an unknown
 * or another tenant's id.
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  constructor(private readonly resource: string) {}

  transform(value: string): number {
    if (!/^[1-9]\d{0,14}$/.test(value)) throw new NotFoundError(this.resource);
    return Number(value);
  }
}
