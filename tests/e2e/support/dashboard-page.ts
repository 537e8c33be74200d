// The dashboard as a user sees it, found by roles and labels rather than CSS.
import { expect, type Locator, type Page } from '@playwright/test';

export class DashboardPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.page.getByRole('heading', { name: 'Fabric Lab' })).toBeVisible();
  }

  deployButton(sampleTitle: string): Locator {
    return this.page.getByRole('button', { name: `Deploy ${sampleTitle}` });
  }

  deployment(serviceName: string, slot = 'production'): Locator {
    return this.page.getByRole('article', { name: `Deployment ${serviceName} ${slot}` });
  }

  instanceRows(deployment: Locator): Locator {
    return deployment.locator('tbody tr');
  }

  pool(name: string): Locator {
    return this.page.getByRole('region', { name: `Machine pool ${name}` });
  }

  alert(): Locator {
    return this.page.getByRole('alert');
  }
}
