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
    // Mail is sent by a job under a lease (WORKER_LEASE_SECONDS). nodemailer's defaults wait up
    // to 2 minutes to connect and 10 to hear back; a stalled server would outlast the lease, and
    // another worker would then send the same mail again. Give up well within the lease instead;
    // the job retries later.
    const budgetMs = Math.max(1_000, Math.floor((config.worker.leaseSeconds * 1000) / 3));
    this.transport =
      config.mail.transport === 'smtp'
        ? createTransport({
            host: smtp.host,
            port: smtp.port,
            secure: smtp.secure,
            auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
            connectionTimeout: Math.min(10_000, budgetMs),
            greetingTimeout: Math.min(10_000, budgetMs),
            socketTimeout: Math.min(30_000, budgetMs),
          })
        : createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async send(message: MailMessage): Promise<void> {
    const info = await this.transport.sendMail({ from: this.config.mail.from, ...message });
    if (this.config.mail.transport === 'log') {
      await mkdir(this.config.mail.outboxDir, { recursive: true });
      const base = join(
        this.config.mail.outboxDir,
        `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}`,
      );
      const file = `${base}.eml`;
      await writeFile(file, info.message as Buffer);
      // The .eml is quoted-printable (long links wrap); a plain-text copy keeps them greppable.
      await writeFile(
        `${base}.txt`,
        `To: ${message.to}\nSubject: ${message.subject}\n\n${message.text}\n`,
      );
      // The text goes to the log too: on the embedded setup that is where a new user finds the
      // link to click.
      this.logger.log({
        msg: 'mail written to the outbox',
        to: message.to,
        subject: message.subject,
        file,
        text: message.text,
      });
    } else {
      this.logger.log({ msg: 'mail sent', to: message.to, subject: message.subject });
    }
  }
}
