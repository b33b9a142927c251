// Claims (as fact-checkers write `claimReviewed`) and post texts, written for these tests.
// `match`: the claim reviews this post's words; near misses are the same story with another claim, the
// same claim in another language, or the same sentence pattern about something else.

export interface ClaimPair {
  claim: string;
  post: string;
  match: boolean;
  why: string;
}

export const CLAIM_PAIRS: ClaimPair[] = [
  // --- true pairs: the claim quotes the post, near-verbatim ---
  {
    claim: 'Photo shows flooding in Vilnius after the storm on 12 July 2024',
    post: 'BREAKING 🚨 Photo shows flooding in Vilnius after the storm on 12 July 2024!! Share before they delete it https://t.co/abc',
    match: true,
    why: 'the post with a prefix, emoji, a link and an appeal',
  },
  {
    claim: 'Video shows Ukrainian soldiers surrendering near Bakhmut in May 2023',
    post: '@newsdesk video shows ukrainian soldiers surrendering near Bakhmut in may 2023',
    match: true,
    why: 'lower case, a mention',
  },
  {
    claim: 'Nuotrauka rodo potvynį Vilniuje po audros liepos 12 dieną',
    post: 'Nuotrauka rodo potvyni Vilniuje po audros liepos 12 diena. Dalinkitės!',
    match: true,
    why: 'Lithuanian typed without diacritics',
  },
  {
    claim: 'На фото — наводнение в Алматы после ливня 3 мая',
    post: 'На фото наводнение в Алматы после ливня 3 мая. Власти молчат!!!',
    match: true,
    why: 'Russian, punctuation differs, words added',
  },
  {
    claim: 'Бұл суретте Алматыдағы су тасқыны көрсетілген, мамыр айында түсірілген',
    post: 'Бұл суретте Алматыдағы су тасқыны көрсетілген мамыр айында түсірілген #Алматы',
    match: true,
    why: 'Kazakh with a hashtag',
  },
  {
    claim: 'صورة تظهر الفيضانات في شوارع الخرطوم بعد الأمطار الغزيرة هذا الأسبوع',
    post: 'صورة تُظهر الفيضانات في شوارع الخرطوم بعد الأمطار الغزيرة هذا الأسبوع 😢',
    match: true,
    why: 'Arabic with harakat and an emoji',
  },
  {
    claim: 'Vaccines contain microchips that track people through 5G towers',
    post: 'They will never tell you this: vaccines contain microchips that track people through 5G towers. Wake up!',
    match: true,
    why: 'the claim inside a longer post',
  },
  {
    claim: 'The Eiffel Tower was set on fire during the protests in Paris last night',
    post: 'The Eiffel Tower was set on fire during protests in Paris last night',
    match: true,
    why: 'one word dropped',
  },
  {
    claim: 'La foto muestra el incendio de la catedral de Notre Dame en abril de 2019',
    post: 'La foto muestra el incendio de la catedral de Notre-Dame en abril de 2019 😱😱',
    match: true,
    why: 'Spanish, a hyphen',
  },
  {
    claim: 'Das Video zeigt einen Panzer der Bundeswehr auf dem Weg an die polnische Grenze',
    post: 'Das Video zeigt einen Panzer der Bundeswehr auf dem Weg an die polnische Grenze. Krieg?',
    match: true,
    why: 'German with a question',
  },
  // --- near misses: same story, another claim ---
  {
    claim: 'Photo shows flooding in Vilnius after the storm on 12 July 2024',
    post: 'Photo shows flooding in Kaunas after the storm on 3 August 2023',
    match: false,
    why: 'same sentence, another city and date',
  },
  {
    claim: 'Video shows Ukrainian soldiers surrendering near Bakhmut in May 2023',
    post: 'Video shows Russian soldiers retreating from Bakhmut, May 2023',
    match: false,
    why: 'the opposite claim about the same place and time',
  },
  {
    claim: 'The Eiffel Tower was set on fire during the protests in Paris last night',
    post: 'Protests in Paris last night: police used tear gas near the Eiffel Tower',
    match: false,
    why: 'same event, another claim, shared phrases',
  },
  {
    claim: 'Vaccines contain microchips that track people through 5G towers',
    post: '5G towers are being installed near schools, and people are worried about radiation',
    match: false,
    why: 'same conspiracy topic, another claim',
  },
  {
    claim: 'На фото — наводнение в Алматы после ливня 3 мая',
    post: 'На фото — пожар в Астане после грозы 5 июня',
    match: false,
    why: 'Russian, same pattern, another event',
  },
  {
    claim: 'صورة تظهر الفيضانات في شوارع الخرطوم بعد الأمطار الغزيرة هذا الأسبوع',
    post: 'صورة تظهر الحرائق في غابات الجزائر بعد موجة الحر هذا الأسبوع',
    match: false,
    why: 'Arabic, same pattern, another event',
  },
  // --- near misses: the same claim in another language ---
  {
    claim: 'На фото наводнение в Вильнюсе после шторма 12 июля',
    post: 'На фото повінь у Вільнюсі після шторму 12 липня',
    match: false,
    why: 'a Russian claim and its Ukrainian translation',
  },
  {
    claim: 'Photo shows flooding in Vilnius after the storm on 12 July 2024',
    post: 'Nuotraukoje matyti 2024 m. liepos 12 d. audros sukeltas potvynis Vilniuje',
    match: false,
    why: 'English claim, Lithuanian translation',
  },
  {
    claim: 'Das Video zeigt einen Panzer der Bundeswehr auf dem Weg an die polnische Grenze',
    post: 'The video shows a Bundeswehr tank on its way to the Polish border',
    match: false,
    why: 'German claim, English translation',
  },
  {
    claim: 'La foto muestra el incendio de la catedral de Notre Dame en abril de 2019',
    post: 'La photo montre l’incendie de la cathédrale Notre-Dame en avril 2019',
    match: false,
    why: 'Spanish claim, French translation (shared names and date)',
  },
];
