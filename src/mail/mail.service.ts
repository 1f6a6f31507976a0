import { Inject, Injectable, Logger } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '../config';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Sends mail through nodemailer. With MAIL_TRANSPORT=log (the embedded default) nothing leaves the
 * machine: each message is rendered to an .eml file in MAIL_OUTBOX_DIR and logged, so a new user
 * can open the invitation link without an SMTP server.
 */
@Injectable()
export class MailService {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { smtp } = config.mail;
    this.transport =
      config.mail.transport === 'smtp'
        ? createTransport({
            host: smtp.host,
            port: smtp.port,
            secure: smtp.secure,
            auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
          })
        : createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async send(message: MailMessage): Promise<void> {
    const info = await this.transport.sendMail({ from: this.config.mail.from, ...message });
    if (this.config.mail.transport === 'log') {
      await mkdir(this.config.mail.outboxDir, { recursive: true });
      const file = join(
        this.config.mail.outboxDir,
        `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`,
      );
      await writeFile(file, info.message as Buffer);
      this.logger.log({
        msg: 'mail written to the outbox',
        to: message.to,
        subject: message.subject,
        file,
      });
    } else {
      this.logger.log({ msg: 'mail sent', to: message.to, subject: message.subject });
    }
  }
}
