import { redactUrl } from './logger';

describe('redactUrl', () => {
  it('keeps secret tokens in URLs out of the logs', () => {
    expect(redactUrl('/api/v1/invitations/inv_abc123/accept')).toBe(
      '/api/v1/invitations/inv_[redacted]/accept',
    );
    expect(redactUrl('/ical/cal_secret.ics?x=1')).toBe('/ical/cal_[redacted]?x=1');
    expect(redactUrl('/api/v1/organizations/4/invitations/12/resend')).toBe(
      '/api/v1/organizations/4/invitations/12/resend',
    );
    expect(redactUrl('/api/v1/organizations/4/members')).toBe('/api/v1/organizations/4/members');
  });
});
