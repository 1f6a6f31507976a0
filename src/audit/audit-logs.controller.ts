import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Membership } from '../auth/authenticated-user';
import { CurrentMembership, RequirePermission } from '../auth/decorators';
import { AuditLog } from './audit-log.entity';
import { AuditService } from './audit.service';
import { AuditLogQueryDto } from './dto/audit-log-query.dto';

function presentAuditLog(log: AuditLog) {
  return {
    id: log.id,
    action: log.action,
    user_id: log.userId,
    actor: log.actor,
    auditable_type: log.auditableType,
    auditable_id: log.auditableId,
    old_values: log.oldValues,
    new_values: log.newValues,
    ip_address: log.ipAddress,
    user_agent: log.userAgent,
    created_at: log.createdAt?.toISOString() ?? null,
  };
}

@ApiTags('audit-logs')
@Controller('organizations/:organizationId/audit-logs')
export class AuditLogsController {
  constructor(private readonly audit: AuditService) {}

  /** Newest first. */
  @Get()
  @RequirePermission('audit-logs:view')
  async list(@CurrentMembership() membership: Membership, @Query() query: AuditLogQueryDto) {
    const page = await this.audit.list(membership, query);
    return { data: page.data.map(presentAuditLog), next_cursor: page.next_cursor };
  }
}
