import { useMe } from '../app/session';
import { ErrorState, Loading, Page } from '../app/ui';
import { t } from '../strings';
import { ApiTokens } from './profile/ApiTokens';
import { CalendarFeed } from './profile/CalendarFeed';
import { ChangePassword } from './profile/ChangePassword';
import { Preferences } from './profile/Preferences';
import { TwoFactor } from './profile/TwoFactor';

export default function Profile() {
  const me = useMe();
  return (
    <Page title={t.profile.title}>
      {me.isPending ? (
        <Loading />
      ) : me.isError ? (
        <ErrorState error={me.error} onRetry={() => me.refetch()} />
      ) : (
        <div className="panels">
          <Preferences me={me.data} />
          <ChangePassword />
          <TwoFactor me={me.data} />
          <ApiTokens me={me.data} />
          <CalendarFeed me={me.data} />
        </div>
      )}
    </Page>
  );
}
