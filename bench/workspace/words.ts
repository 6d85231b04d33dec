/**
 * The vocabulary of the workspace benchmark's messages: everyday English as people write it to a therapist, most
 * common first (messages pick from it on a Zipf curve, as real text does), plus a few words with accents.
 */
export const COMMON_WORDS = `
i the to and a it my was of that in me is you but not so have for just on with be this at about what
feel like do we really know think all been had when can from out if he she they get because one more time
today week up how would there now her his them some bit much night day things going go back still want
feeling felt work sleep anxious anxiety better worse again tired talk session last next been thank thanks
friend mum dad mother father sister brother partner husband wife kids children son daughter family home
job boss meeting office school class exam deadline money rent bills doctor appointment medication tablets
dose morning evening weekend monday tuesday wednesday thursday friday saturday sunday tonight tomorrow
yesterday panic attack breathing exercise walk run gym yoga meditation journal diary writing reading book
calm worried worry stress stressed angry sad low mood down happy okay fine good bad hard easy difficult
try trying tried help helped helpful helping maybe think thought thoughts mind head heart chest stomach
pain headache eat eating ate food dinner lunch breakfast hungry drink drinking coffee tea water alcohol
wine beer cigarette quit stopped started start stop keep kept lost lose losing found find finding made
make making said say saying told tell telling asked ask asking called call phone text message reply
wrote write email boundary boundaries conflict argument argued fight cried crying tears laugh laughed
lonely alone together people someone everyone nobody myself yourself ourselves nothing something
everything always never sometimes often usually rarely since until before after while during through
around between against without within across plan plans planning goal goals progress step steps small
big little long short early late soon quick slow hour hours minutes week weeks month months year years
remember forgot memory dream dreams nightmare woke wake awake bed couch room house flat car bus train
travel holiday trip visit visited party wedding birthday christmas funeral grief loss died death miss
missed missing love loved hate hated afraid scared fear fears safe unsafe trust trusted honest shame
guilt guilty proud pride confidence confident selfesteem worth worthless enough tired exhausted energy
motivation motivated focus focused distracted overwhelmed overthinking ruminating spiral triggered
trigger coping cope skills strategy strategies grounding five senses notice noticed noticing body
shoulders tense relax relaxed relaxing muscle muscles breath breathe slowly count counting homework
worksheet practice practised practicing therapy therapist counselling counsellor psychiatrist gp
referral waiting list insurance cancel cancelled reschedule rescheduled confirm confirmed available
could should might will shall must did does done doing went gone come came coming see saw seen look
looked looking hear heard listen listened understand understood sorry please yes no ok sure probably
definitely honestly actually basically literally kind sort pretty quite very too also even only though
`;

/** Words with accents: searched for without them ("cafe" finds "café"). */
export const ACCENTED_WORDS = ['café', 'naïve', 'déjà', 'résumé', 'fiancée', 'Zoë', 'São', 'Müller'];

const ONSETS = [
  'b',
  'br',
  'c',
  'ch',
  'd',
  'f',
  'g',
  'gr',
  'h',
  'k',
  'l',
  'm',
  'n',
  'p',
  'pl',
  'r',
  's',
  'st',
  't',
  'tr',
  'v',
  'w',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'oo', 'ou'];
const CODAS = ['', '', 'n', 'r', 's', 't', 'l', 'nd', 'st', 'ng', 'ck'];

/**
 * The long tail of a real vocabulary (names, places, rare words, typos): `count` made-up words of two to four
 * syllables, distinct, the same for the same `random`.
 */
export function tailWords(random: () => number, count: number): string[] {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const out = new Set<string>();
  while (out.size < count) {
    const syllables = 2 + Math.floor(random() * 3);
    let word = '';
    for (let s = 0; s < syllables; s++)
      word += pick(ONSETS) + pick(VOWELS) + (s === syllables - 1 ? pick(CODAS) : '');
    out.add(word);
  }
  return [...out];
}
