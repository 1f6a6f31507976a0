import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators';
import { HealthService } from './health.service';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOkResponse({ description: 'The process is up.' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({ description: 'The database answers and every migration is applied.' })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `detail` says why.' })
  async ready() {
    const problem = await this.health.readinessProblem();
    if (problem) throw new ServiceUnavailableException(problem);
    return { status: 'ok', database: 'ok', migrations: 'ok' };
  }
}
