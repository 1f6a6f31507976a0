import { Link } from 'react-router';
import { Page } from '../app/ui';
import { t } from '../strings';

export default function NotFound() {
  return (
    <Page title={t.notFound}>
      <Link to="/">{t.nav.planner}</Link>
    </Page>
  );
}
