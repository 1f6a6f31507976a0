import { redactUrl } from './logger';

describe('redactUrl', () => {
  it('keeps secret tokens in paths out of the logs, whatever they look like', () => {
    expect(redactUrl('/api/v1/invitations/inv_abc123/accept')).toBe(
      '/api/v1/invitations/[redacted]/accept',
    );
    expect(redactUrl('/api/v1/invitations/guessed')).toBe('/api/v1/invitations/[redacted]');
    expect(redactUrl('/ical/cal_secret.ics?x=1')).toBe('/ical/[redacted]?x=1');
    expect(redactUrl('/api/v1/organizations/4/integrations/pending/abc')).toBe(
      '/api/v1/organizations/4/integrations/pending/[redacted]',
    );
  });

  it('keeps ids and ordinary routes as they are', () => {
    expect(redactUrl('/api/v1/organizations/4/invitations/12/resend')).toBe(
      '/api/v1/organizations/4/invitations/12/resend',
    );
    expect(redactUrl('/api/v1/organizations/4/invitations?limit=5')).toBe(
      '/api/v1/organizations/4/invitations?limit=5',
    );
    expect(redactUrl('/api/v1/organizations/4/members')).toBe('/api/v1/organizations/4/members');
  });

  it('redacts the values of credential parameters and keeps the others', () => {
    expect(redactUrl('/cb?code=4%2F0Ab&state=st_x&scope=email')).toBe(
      '/cb?code=[redacted]&state=[redacted]&scope=email',
    );
    expect(redactUrl('/me?access_token=a&access_token=b&TOKEN=c&access_token[]=d')).toBe(
      '/me?access_token=[redacted]&access_token=[redacted]&TOKEN=[redacted]&access_token[]=[redacted]',
    );
    expect(redactUrl('/me?acc%65ss_token=x&%zz=1')).toBe('/me?acc%65ss_token=[redacted]&%zz=1');
  });

  it('redacts our prefixed tokens wherever they appear', () => {
    const token = `dwl_${'A'.repeat(43)}`;
    expect(redactUrl(`/api/v1/search?q=${token}`)).toBe('/api/v1/search?q=[redacted]');
    for (const prefix of ['inv', 'cal', 'st', 'pg', 'rst', 'vfy', 'tfa']) {
      expect(redactUrl(`/reset?next=${prefix}_${'b'.repeat(43)}`)).toBe('/reset?next=[redacted]');
    }
  });
});
