import { Empty, Page } from '../app/ui';
import { t } from '../strings';

export default function Members() {
  return (
    <Page title={t.appName}>
      <Empty>{t.comingSoon}</Empty>
    </Page>
  );
}
