// Owns the demo content: who works at each demo organisation, its providers and network, its
// controls and the story of their last eight months (touches on given days ago). The seed
// replays that story through the real engine, so the history is what the app would have made.
import type { Role } from '@sertantai/core';

export const DEMO_PASSWORDS: Record<Role, string> = {
  owner: 'demo-password-1',
  admin: 'demo-password-2',
  member: 'demo-password-3',
  viewer: 'demo-password-4',
};

export type DemoProviderKey = 'self' | 'department' | 'contractor' | 'vendor';

export type DemoControl = {
  name: string;
  description: string;
  control_type: 'physical' | 'procedural' | 'technical';
  functional_range: 'narrow' | 'wide';
  provider: DemoProviderKey | null;
  requires_refresher_training?: boolean;
  /** Days ago of each touch, by whom and how; the last one decides today's quadrant. */
  touches: Array<{
    daysAgo: number;
    by: Role;
    type: 'use' | 'inspect' | 'maintain' | 'test';
    issues?: boolean;
    notes?: string;
  }>;
  /** The quadrant this story must end in (checked by the seed test). */
  expect: 'self' | 'specialist' | 'service' | 'strange';
};

export type DemoOrganization = {
  name: string;
  slug: string;
  domain: string;
  providers: Record<
    DemoProviderKey,
    { name: string; provider_type: 'user' | 'internal' | 'contractor' | 'vendor' }
  >;
  controls: DemoControl[];
};

/** self → department (1) → contractor (+1.5 = 2.5) → vendor (+2 = 4.5); Close is under 2. */
export const DEMO_LINKS: Array<{
  from: DemoProviderKey;
  to: DemoProviderKey;
  relationship_type: string;
  path_weight: number;
}> = [
  { from: 'self', to: 'department', relationship_type: 'employs', path_weight: 1 },
  { from: 'department', to: 'contractor', relationship_type: 'contracts', path_weight: 1.5 },
  { from: 'contractor', to: 'vendor', relationship_type: 'subcontracts', path_weight: 2 },
];

/** The story starts this many days before today. */
export const HISTORY_DAYS = 240;

const controls: DemoControl[] = [
  {
    name: 'Hard hats and eye protection',
    description: 'Personal protective equipment issued to every operator.',
    control_type: 'physical',
    functional_range: 'narrow',
    provider: 'self',
    touches: [
      { daysAgo: 90, by: 'member', type: 'use' },
      { daysAgo: 20, by: 'member', type: 'inspect' },
      { daysAgo: 2, by: 'member', type: 'use' },
    ],
    expect: 'self',
  },
  {
    name: 'Forklift pre-use check',
    description: 'Daily checklist before the forklift leaves the bay.',
    control_type: 'procedural',
    functional_range: 'narrow',
    provider: 'department',
    touches: [
      { daysAgo: 60, by: 'member', type: 'inspect' },
      {
        daysAgo: 8,
        by: 'member',
        type: 'inspect',
        issues: true,
        notes: 'Horn intermittent; maintenance request raised.',
      },
      { daysAgo: 1, by: 'member', type: 'use' },
    ],
    expect: 'self',
  },
  {
    name: 'Confined-space rescue kit',
    description: 'Tripod, winch and harnesses for tank entry; used a few times a year.',
    control_type: 'physical',
    functional_range: 'narrow',
    provider: 'department',
    requires_refresher_training: true,
    touches: [
      { daysAgo: 200, by: 'admin', type: 'test' },
      { daysAgo: 120, by: 'member', type: 'use', notes: 'Tank 3 entry.' },
    ],
    expect: 'specialist',
  },
  {
    name: 'Portable gas detector calibration',
    description: 'Bump test and calibration of the 4-gas detectors.',
    control_type: 'technical',
    functional_range: 'narrow',
    provider: 'self',
    requires_refresher_training: true,
    touches: [{ daysAgo: 45, by: 'member', type: 'maintain' }],
    expect: 'specialist',
  },
  {
    name: 'Fire alarm maintenance contract',
    description: 'Quarterly service of the fire alarm panel and detectors by the contractor.',
    control_type: 'technical',
    functional_range: 'wide',
    provider: 'contractor',
    touches: [
      { daysAgo: 100, by: 'admin', type: 'inspect' },
      { daysAgo: 5, by: 'admin', type: 'inspect', notes: 'Contractor visit; two detectors replaced.' },
    ],
    expect: 'service',
  },
  {
    name: 'HVAC and local exhaust ventilation service',
    description: 'Ventilation for the paint booth, serviced under the vendor agreement.',
    control_type: 'technical',
    functional_range: 'wide',
    provider: 'vendor',
    touches: [{ daysAgo: 12, by: 'member', type: 'use' }],
    expect: 'service',
  },
  {
    name: 'SCADA safety interlock',
    description: 'Vendor-configured interlock on the press line; nobody on site knows its logic.',
    control_type: 'technical',
    functional_range: 'wide',
    provider: 'vendor',
    touches: [
      { daysAgo: 210, by: 'admin', type: 'test', issues: true, notes: 'Trip delay longer than specified.' },
    ],
    expect: 'strange',
  },
  {
    name: 'Legacy sprinkler controller',
    description: 'Inherited with the building; no provider on record.',
    control_type: 'physical',
    functional_range: 'wide',
    provider: null,
    touches: [],
    expect: 'strange',
  },
];

export const DEMO_ORGANIZATIONS: DemoOrganization[] = [
  {
    name: 'Acme Safety Ltd',
    slug: 'acme-safety',
    domain: 'acme.test',
    providers: {
      self: { name: 'Acme operators (ourselves)', provider_type: 'user' },
      department: { name: 'Acme maintenance department', provider_type: 'internal' },
      contractor: { name: 'Sparks Electrical Contractors', provider_type: 'contractor' },
      vendor: { name: 'Detecta Systems (vendor)', provider_type: 'vendor' },
    },
    controls,
  },
  {
    name: 'Globex Manufacturing',
    slug: 'globex-manufacturing',
    domain: 'globex.test',
    providers: {
      self: { name: 'Globex line crew (ourselves)', provider_type: 'user' },
      department: { name: 'Globex engineering department', provider_type: 'internal' },
      contractor: { name: 'Northern Fire Services', provider_type: 'contractor' },
      vendor: { name: 'Automata Controls GmbH', provider_type: 'vendor' },
    },
    controls,
  },
];
