import { escapeHtml } from '../mail/escape-html';
import { MailMessage } from '../mail/mail.service';

export function invitationEmail(input: {
  to: string;
  organizationName: string;
  inviterName: string;
  role: string;
  link: string;
  expiresAt: Date;
}): MailMessage {
  const expires = input.expiresAt.toUTCString();
  const subject = `${input.inviterName} invited you to ${input.organizationName} on danwel`;
  return {
    to: input.to,
    subject,
    text: [
      `${input.inviterName} invited you to join ${input.organizationName} on danwel as ${input.role}.`,
      '',
      `Accept the invitation: ${input.link}`,
      '',
      `The link works once and expires on ${expires}.`,
    ].join('\n'),
    html: [
      `<p>${escapeHtml(input.inviterName)} invited you to join <strong>${escapeHtml(input.organizationName)}</strong> on danwel as ${escapeHtml(input.role)}.</p>`,
      `<p><a href="${escapeHtml(input.link)}">Accept the invitation</a></p>`,
      `<p>The link works once and expires on ${escapeHtml(expires)}.</p>`,
    ].join('\n'),
  };
}
