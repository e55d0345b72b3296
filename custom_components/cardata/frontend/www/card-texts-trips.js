// The vehicle card's words for its trips fold, in the integration's 13
// languages: data only, merged into the card's table by card-i18n.js. A
// place outside every zone is named with Home Assistant's word for a
// tracker that is not in a zone ("Away").

export const TRIP_TEXTS = {
  en: {
    trips: "Trips",
    trips_latest: "Latest trips",
    trips_none: "No trips yet",
    trips_failed: "The trips could not be read. Reload the page; if they stay missing, check that the integration is loaded.",
    trip_elsewhere: "Away",
  },
  de: {
    trips: "Fahrten",
    trips_latest: "Letzte Fahrten",
    trips_none: "Noch keine Fahrten",
    trips_failed: "Die Fahrten konnten nicht gelesen werden. Lade die Seite neu; fehlen sie weiterhin, prüfe, ob die Integration geladen ist.",
    trip_elsewhere: "Abwesend",
  },
  nl: {
    trips: "Ritten",
    trips_latest: "Laatste ritten",
    trips_none: "Nog geen ritten",
    trips_failed: "De ritten konden niet worden gelezen. Laad de pagina opnieuw; ontbreken ze dan nog, controleer of de integratie is geladen.",
    trip_elsewhere: "Afwezig",
  },
  fr: {
    trips: "Trajets",
    trips_latest: "Derniers trajets",
    trips_none: "Aucun trajet pour l'instant",
    trips_failed: "Impossible de lire les trajets. Rechargez la page ; s'ils manquent toujours, vérifiez que l'intégration est chargée.",
    trip_elsewhere: "Absent",
  },
  it: {
    trips: "Viaggi",
    trips_latest: "Ultimi viaggi",
    trips_none: "Ancora nessun viaggio",
    trips_failed: "Impossibile leggere i viaggi. Ricarica la pagina; se mancano ancora, verifica che l'integrazione sia caricata.",
    trip_elsewhere: "Fuori casa",
  },
  es: {
    trips: "Viajes",
    trips_latest: "Últimos viajes",
    trips_none: "Todavía no hay viajes",
    trips_failed: "No se han podido leer los viajes. Recarga la página; si siguen sin aparecer, comprueba que la integración está cargada.",
    trip_elsewhere: "Fuera",
  },
  pt: {
    trips: "Viagens",
    trips_latest: "Últimas viagens",
    trips_none: "Ainda sem viagens",
    trips_failed: "Não foi possível ler as viagens. Recarregue a página; se continuarem em falta, verifique se a integração está carregada.",
    trip_elsewhere: "Ausente",
  },
  da: {
    trips: "Ture",
    trips_latest: "Seneste ture",
    trips_none: "Ingen ture endnu",
    trips_failed: "Turene kunne ikke læses. Genindlæs siden; mangler de stadig, så tjek, at integrationen er indlæst.",
    trip_elsewhere: "Ude",
  },
  sv: {
    trips: "Resor",
    trips_latest: "Senaste resor",
    trips_none: "Inga resor än",
    trips_failed: "Resorna kunde inte läsas. Ladda om sidan; saknas de fortfarande, kontrollera att integrationen är laddad.",
    trip_elsewhere: "Borta",
  },
  nb: {
    trips: "Turer",
    trips_latest: "Siste turer",
    trips_none: "Ingen turer ennå",
    trips_failed: "Turene kunne ikke leses. Last inn siden på nytt; mangler de fortsatt, sjekk at integrasjonen er lastet.",
    trip_elsewhere: "Borte",
  },
  fi: {
    trips: "Matkat",
    trips_latest: "Viimeisimmät matkat",
    trips_none: "Ei vielä matkoja",
    trips_failed: "Matkoja ei voitu lukea. Lataa sivu uudelleen; jos ne puuttuvat yhä, tarkista, että integraatio on ladattu.",
    trip_elsewhere: "Poissa",
  },
  pl: {
    trips: "Podróże",
    trips_latest: "Ostatnie podróże",
    trips_none: "Brak podróży",
    trips_failed: "Nie udało się odczytać podróży. Odśwież stronę; jeśli nadal ich brakuje, sprawdź, czy integracja jest załadowana.",
    trip_elsewhere: "Poza domem",
  },
  cs: {
    trips: "Jízdy",
    trips_latest: "Poslední jízdy",
    trips_none: "Zatím žádné jízdy",
    trips_failed: "Jízdy se nepodařilo načíst. Obnovte stránku; pokud stále chybí, zkontrolujte, že je integrace načtená.",
    trip_elsewhere: "Pryč",
  },
};
