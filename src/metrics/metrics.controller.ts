import { Controller, Get, Header, Headers, NotFoundException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/decorators';
import { MetricsService } from './metrics.service';

/**
 * Prometheus scrapes `GET /metrics` with `Authorization: Bearer <METRICS_TOKEN>`. Without the
 * token configured the route does not exist (404); a wrong or missing token is also a 404, so the
 * endpoint does not tell scanners it is there.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async scrape(@Headers('authorization') authorization?: string): Promise<string> {
    if (!this.metrics.authorized(authorization)) throw new NotFoundException();
    return this.metrics.scrape();
  }
}
