// Crisis lines shown from every screen, online or offline. static/crisis.html repeats them for when the app
// cannot start (no JavaScript, or a broken install): change both together.

/** One way to reach a line; `label` reads on its own, since screen readers list links out of context. */
export interface CrisisAction {
  label: string;
  href: `tel:${string}` | `sms:${string}`;
}

export interface CrisisResource {
  id: string;
  name: string;
  /** Where the number works. */
  region: string;
  /** One line on what it is, or null when the name says it. */
  detail: string | null;
  actions: readonly CrisisAction[];
}

export const CRISIS_RESOURCES: readonly CrisisResource[] = [
  {
    id: 'emergency',
    name: 'Your local emergency number',
    region: 'Wherever you are',
    detail: 'If you are in immediate danger, call now.',
    actions: [
      { label: 'Call 911 (US, Canada)', href: 'tel:911' },
      { label: 'Call 999 (UK)', href: 'tel:999' },
      { label: 'Call 112 (EU, Ireland)', href: 'tel:112' },
      { label: 'Call 000 (Australia)', href: 'tel:000' },
    ],
  },
  {
    id: '988',
    name: '988 Suicide and Crisis Lifeline',
    region: 'US and Canada',
    detail: 'Free, confidential, 24 hours a day.',
    actions: [
      { label: 'Call 988', href: 'tel:988' },
      { label: 'Text 988', href: 'sms:988' },
    ],
  },
  {
    id: 'crisis-text-line',
    name: 'Crisis Text Line',
    region: 'US',
    detail: 'Text HOME to 741741 to reach a trained crisis counselor.',
    // `?&body=` is the form both iOS and Android fill in.
    actions: [{ label: 'Text HOME to 741741', href: 'sms:741741?&body=HOME' }],
  },
  {
    id: 'samaritans',
    name: 'Samaritans',
    region: 'UK and Ireland',
    detail: 'Free, 24 hours a day.',
    actions: [{ label: 'Call 116 123', href: 'tel:116123' }],
  },
  {
    id: 'lifeline-au',
    name: 'Lifeline',
    region: 'Australia',
    detail: '24 hours a day.',
    actions: [{ label: 'Call 13 11 14', href: 'tel:131114' }],
  },
];

export const NOT_FOR_EMERGENCIES =
  'Hearth messages are not for emergencies. Your therapist may not see a message for hours or days.';
