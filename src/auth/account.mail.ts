import { escapeHtml } from '../mail/escape-html';
import { MailMessage } from '../mail/mail.service';
import { MailedTokenPurpose } from './user-token.entity';

const WORDING: Record<MailedTokenPurpose, { subject: string; intro: string; action: string }> = {
  password_reset: {
    subject: 'Reset your danwel password',
    intro: 'Someone (hopefully you) asked to reset the password of your danwel account.',
    action: 'Choose a new password',
  },
  email_verification: {
    subject: 'Confirm your email address for danwel',
    intro: 'Confirm that this address belongs to your danwel account.',
    action: 'Confirm your email address',
  },
};

/** The mail carrying a single-use account link (password reset or email verification). */
export function accountLinkEmail(input: {
  to: string;
  purpose: MailedTokenPurpose;
  link: string;
  expiresAt: Date;
}): MailMessage {
  const wording = WORDING[input.purpose];
  const expires = input.expiresAt.toUTCString();
  const ignore = 'If you did not ask for this, ignore this mail: nothing changes.';
  return {
    to: input.to,
    subject: wording.subject,
    text: [
      wording.intro,
      '',
      `${wording.action}: ${input.link}`,
      '',
      `The link works once and expires on ${expires}.`,
      ignore,
    ].join('\n'),
    html: [
      `<p>${escapeHtml(wording.intro)}</p>`,
      `<p><a href="${escapeHtml(input.link)}">${escapeHtml(wording.action)}</a></p>`,
      `<p>The link works once and expires on ${escapeHtml(expires)}. ${escapeHtml(ignore)}</p>`,
    ].join('\n'),
  };
}
