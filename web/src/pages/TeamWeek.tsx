import { Empty, Page } from '../app/ui';
import { t } from '../strings';

export default function TeamWeek() {
  return (
    <Page title={t.appName}>
      <Empty>{t.comingSoon}</Empty>
    </Page>
  );
}
