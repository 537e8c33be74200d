// The dashboard as a user sees it, found by roles and labels rather than CSS.
import { expect, type Locator, type Page } from '@playwright/test';

export class DashboardPage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.page.getByRole('heading', { name: 'Fabric Lab' })).toBeVisible();
  }

  /** Deploy the Hello worker sample, wait for both instances to be Ready, and open one instance's panel. */
  async deployHelloWorkerAndOpen(instanceName: string): Promise<{ deployment: Locator; detail: Locator }> {
    await this.deployButton('Hello worker').click();
    const deployment = this.deployment('HelloWorker');
    await expect(deployment.locator('[data-status="ReadyRole"]')).toHaveCount(2, { timeout: 30_000 });
    await deployment.getByRole('button', { name: `Show ${instanceName}` }).click();
    return { deployment, detail: this.page.getByRole('complementary', { name: `Instance ${instanceName}` }) };
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

  /** The left tree: service -> deployment (slot) -> role -> instance. */
  tree(): Locator {
    return this.page.getByRole('tree', { name: 'Service tree' });
  }

  domainMap(deployment: Locator): Locator {
    return deployment.getByRole('table', { name: 'Fault domain by upgrade domain map' });
  }

  charts(): Locator {
    return this.page.getByRole('region', { name: 'Charts' });
  }

  /** Whether a canvas has any pixel drawn on it. */
  async canvasDrawn(canvas: Locator): Promise<boolean> {
    return canvas.evaluate((element) => {
      // Typed by hand: the e2e tests compile without the DOM library.
      const c = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) return true;
      return false;
    });
  }
}
