import { Empty, Page } from '../app/ui';
import { t } from '../strings';

export default function Profile() {
  return (
    <Page title={t.appName}>
      <Empty>{t.comingSoon}</Empty>
    </Page>
  );
}
