"""Fixed labels of the donor report (sheet names, headers, status words, notes) in English,
French and Spanish. Indicator names come from each definition's ``translations``."""

from __future__ import annotations

from mel.engine.results import ALL

LANGUAGES = ("en", "fr", "es")

_LABELS: dict[str, dict[str, str]] = {
    # sheet names (at most 31 characters)
    "sheet.readme": {"en": "Read me", "fr": "Lisez-moi", "es": "Léame"},
    "sheet.summary": {"en": "Summary", "fr": "Synthèse", "es": "Resumen"},
    "sheet.iptt": {
        "en": "IPTT (fiscal year)",
        "fr": "Suivi par période (exercice)",
        "es": "Seguimiento (ejercicio)",
    },
    "h.pct_met": {"en": "% met", "fr": "% atteint", "es": "% logrado"},
    "h.variance": {
        "en": "Variance explanation",
        "fr": "Explication des écarts",
        "es": "Explicación de las desviaciones",
    },
    "data.note": {
        "en": "The result table for analysis (filter, sort, pivot); not printed. The same table is in results-<period>.csv and .parquet beside this workbook.",
        "fr": "La table des résultats pour l'analyse (filtrer, trier, croiser) ; non imprimée. La même table est dans results-<période>.csv et .parquet à côté de ce classeur.",
        "es": "La tabla de resultados para el análisis (filtrar, ordenar, tabular); no se imprime. La misma tabla está en results-<período>.csv y .parquet junto a este libro.",
    },
    "year_total": {"en": "fiscal year", "fr": "exercice", "es": "ejercicio"},
    "summary.by_status": {
        "en": "Indicators by status to date (actual to date against the target to date)",
        "fr": "Indicateurs par statut à ce jour (réalisé à ce jour / cible à ce jour)",
        "es": "Indicadores por estado a la fecha (logrado a la fecha / meta a la fecha)",
    },
    "summary.other": {
        "en": "no data or value hidden",
        "fr": "pas de données ou valeur masquée",
        "es": "sin datos o valor oculto",
    },
    "summary.total": {"en": "Indicators", "fr": "Indicateurs", "es": "Indicadores"},
    "summary.basis": {
        "en": "Status bands (% of the target to date): {bands}. Milestones: achieved, not yet (before the project's end), overdue.",
        "fr": "Seuils de statut (% de la cible à ce jour) : {bands}. Jalons : atteint, pas encore (avant la fin du projet), en retard.",
        "es": "Umbrales de estado (% de la meta a la fecha): {bands}. Hitos: logrado, todavía no (antes del fin del proyecto), atrasado.",
    },
    "summary.headline": {
        "en": "Headline figures (one per pillar)",
        "fr": "Chiffres clés (un par pilier)",
        "es": "Cifras principales (una por pilar)",
    },
    "sheet.tracking": {
        "en": "Indicator tracking",
        "fr": "Suivi des indicateurs",
        "es": "Seguimiento",
    },
    "sheet.country": {"en": "By country", "fr": "Par pays", "es": "Por país"},
    "sheet.period": {"en": "By period", "fr": "Par période", "es": "Por período"},
    "sheet.disagg": {"en": "Disaggregations", "fr": "Désagrégations", "es": "Desagregaciones"},
    "sheet.reference": {
        "en": "Reference sheets",
        "fr": "Fiches de référence",
        "es": "Fichas de referencia",
    },
    "sheet.quality": {"en": "Data quality", "fr": "Qualité des données", "es": "Calidad de datos"},
    "sheet.data": {"en": "Data (tidy)", "fr": "Données (tabulaires)", "es": "Datos (tabulares)"},
    "sheet.charts": {"en": "Charts", "fr": "Graphiques", "es": "Gráficos"},
    # cover
    "title": {
        "en": "Indicator report",
        "fr": "Rapport sur les indicateurs",
        "es": "Informe de indicadores",
    },
    "project": {"en": "Project", "fr": "Projet", "es": "Proyecto"},
    "donor": {"en": "Donor", "fr": "Bailleur", "es": "Donante"},
    "filter.all": {"en": "(any)", "fr": "(indifférent)", "es": "(cualquiera)"},
    "filter.pillar": {"en": "Pillar", "fr": "Pilier", "es": "Pilar"},
    "filter.country": {"en": "Country", "fr": "Pays", "es": "País"},
    "filter.shown": {
        "en": "{n} of {total} rows shown",
        "fr": "{n} lignes affichées sur {total}",
        "es": "{n} de {total} filas mostradas",
    },
    "filter.skip": {
        "en": "Skip to the filters",
        "fr": "Aller aux filtres",
        "es": "Ir a los filtros",
    },
    "period": {"en": "Reporting period", "fr": "Période de rapport", "es": "Período del informe"},
    "period_dates": {"en": "Period dates", "fr": "Dates de la période", "es": "Fechas del período"},
    "countries": {"en": "Countries", "fr": "Pays", "es": "Países"},
    "as_of": {"en": "Data as of", "fr": "Données au", "es": "Datos al"},
    "project_dates": {"en": "Project dates", "fr": "Dates du projet", "es": "Fechas del proyecto"},
    "mode": {"en": "Edition", "fr": "Édition", "es": "Edición"},
    "mode.donor": {
        "en": "Donor edition: small counts suppressed",
        "fr": "Édition bailleur : petits effectifs masqués",
        "es": "Edición para el donante: cifras pequeñas ocultas",
    },
    "mode.internal": {
        "en": "INTERNAL - all values shown, small counts included - not for distribution",
        "fr": "INTERNE - toutes les valeurs, petits effectifs compris - ne pas diffuser",
        "es": "INTERNO - todos los valores, cifras pequeñas incluidas - no distribuir",
    },
    "suppression": {
        "en": "Counts from 1 to {m} are shown as <{n}. Other cells are hidden and shown as [c] wherever a hidden value could otherwise be worked out, or narrowed to less than 1 to {m}, from everything published together: totals and parts, countries, periods, other indicators that share a cell, the markers themselves, and the earlier reports in this folder; a ratio or average built on a small count is shown as [c] too. Zero is shown.",
        "fr": "Les effectifs de 1 à {m} sont affichés <{n}. D'autres cellules sont masquées et affichées [c] partout où une valeur cachée pourrait être déduite, ou resserrée à moins que 1 à {m}, de tout ce qui est publié ensemble : totaux et parties, pays, périodes, autres indicateurs partageant une cellule, les marques elles-mêmes et les rapports antérieurs de ce dossier ; un ratio ou une moyenne fondés sur un petit effectif sont aussi affichés [c]. Zéro est affiché.",
        "es": "Las cifras de 1 a {m} se muestran como <{n}. Otras celdas se ocultan y se muestran como [c] siempre que un valor oculto podría deducirse, o acotarse a menos que 1 a {m}, de todo lo publicado en conjunto: totales y partes, países, períodos, otros indicadores que comparten una celda, las propias marcas y los informes anteriores de esta carpeta; una razón o un promedio basados en una cifra pequeña también se muestran como [c]. El cero se muestra.",
    },
    "suppression.off": {
        "en": "No count is hidden: privacy.threshold is 1, so small counts are shown as they are.",
        "fr": "Aucun effectif n'est masqué : privacy.threshold vaut 1, les petits effectifs sont affichés tels quels.",
        "es": "No se oculta ninguna cifra: privacy.threshold es 1, las cifras pequeñas se muestran tal cual.",
    },
    "suppression.primary": {
        "en": "Counts from 1 to {m} are shown as <{n}; ratios and averages built on them as [c]. No other cell is hidden (privacy.secondary is false): a hidden value may be worked out from a total and the other parts.",
        "fr": "Les effectifs de 1 à {m} sont affichés <{n} ; les ratios et moyennes qui en dépendent, [c]. Aucune autre cellule n'est masquée (privacy.secondary vaut false) : une valeur cachée peut être déduite d'un total et des autres parties.",
        "es": "Las cifras de 1 a {m} se muestran como <{n}; las razones y promedios basados en ellas, como [c]. No se oculta ninguna otra celda (privacy.secondary es false): un valor oculto puede deducirse de un total y de las demás partes.",
    },
    "suppression.internal": {
        "en": "No suppression: this edition shows every value.",
        "fr": "Aucun masquage : cette édition montre toutes les valeurs.",
        "es": "Sin ocultación: esta edición muestra todos los valores.",
    },
    "contents": {"en": "Contents", "fr": "Contenu", "es": "Contenido"},
    "manifest": {
        "en": "Manifest (to re-derive any figure)",
        "fr": "Manifeste (pour retrouver chaque chiffre)",
        "es": "Manifiesto (para volver a obtener cada cifra)",
    },
    "item": {"en": "Item", "fr": "Élément", "es": "Elemento"},
    "value": {"en": "Value", "fr": "Valeur", "es": "Valor"},
    # headers
    "h.no": {"en": "No.", "fr": "N°", "es": "N.º"},
    "h.indicator": {"en": "Indicator", "fr": "Indicateur", "es": "Indicador"},
    "h.unit": {"en": "Unit", "fr": "Unité", "es": "Unidad"},
    "h.baseline": {"en": "Baseline", "fr": "Référence", "es": "Línea de base"},
    "h.lop_target": {"en": "LoP target", "fr": "Cible fin de projet", "es": "Meta del proyecto"},
    "h.lop_actual": {
        "en": "LoP actual (to date)",
        "fr": "Réalisé à ce jour",
        "es": "Logrado a la fecha",
    },
    "h.period_target": {
        "en": "Period target",
        "fr": "Cible de la période",
        "es": "Meta del período",
    },
    "h.period_actual": {
        "en": "Period actual",
        "fr": "Réalisé de la période",
        "es": "Logrado en el período",
    },
    "h.pct": {"en": "% achieved", "fr": "% atteint", "es": "% logrado"},
    "h.lop_pct": {
        "en": "% of LoP target",
        "fr": "% de la cible finale",
        "es": "% de la meta final",
    },
    "h.status": {"en": "Status", "fr": "Statut", "es": "Estado"},
    "h.pct_period": {
        "en": "% of period target",
        "fr": "% de la cible de la période",
        "es": "% de la meta del período",
    },
    "h.status_period": {
        "en": "Status (period: actual vs period target)",
        "fr": "Statut (période : réalisé / cible de la période)",
        "es": "Estado (período: logrado / meta del período)",
    },
    "h.target_to_date": {"en": "Target to date", "fr": "Cible à ce jour", "es": "Meta a la fecha"},
    "h.actual_to_date": {
        "en": "Actual to date",
        "fr": "Réalisé à ce jour",
        "es": "Logrado a la fecha",
    },
    "h.pct_to_date": {
        "en": "% of target to date",
        "fr": "% de la cible à ce jour",
        "es": "% de la meta a la fecha",
    },
    "h.status_to_date": {
        "en": "Status (to date: actual vs target to date)",
        "fr": "Statut (à ce jour : réalisé / cible à ce jour)",
        "es": "Estado (a la fecha: logrado / meta a la fecha)",
    },
    "h.basis": {
        "en": "Basis of the target to date",
        "fr": "Base de la cible à ce jour",
        "es": "Base de la meta a la fecha",
    },
    "h.numerator": {"en": "Numerator", "fr": "Numérateur", "es": "Numerador"},
    "h.denominator": {"en": "Denominator", "fr": "Dénominateur", "es": "Denominador"},
    "basis.period targets": {
        "en": "sum of period targets",
        "fr": "somme des cibles des périodes",
        "es": "suma de las metas de los períodos",
    },
    "basis.year targets": {
        "en": "sum of year targets (pro-rated within a year)",
        "fr": "somme des cibles annuelles (au prorata dans l'année)",
        "es": "suma de las metas anuales (prorrateadas dentro del año)",
    },
    "basis.period target": {
        "en": "period target",
        "fr": "cible de la période",
        "es": "meta del período",
    },
    "basis.year target": {"en": "year target", "fr": "cible annuelle", "es": "meta anual"},
    "basis.LoP target": {
        "en": "LoP target",
        "fr": "cible fin de projet",
        "es": "meta del proyecto",
    },
    "basis.prorated": {
        "en": "LoP target pro-rated ({k}/{n} periods)",
        "fr": "cible fin de projet au prorata ({k}/{n} périodes)",
        "es": "meta del proyecto prorrateada ({k}/{n} períodos)",
    },
    "h.country": {"en": "Country", "fr": "Pays", "es": "País"},
    "h.disaggregation": {"en": "Disaggregation", "fr": "Désagrégation", "es": "Desagregación"},
    "h.category": {"en": "Category", "fr": "Catégorie", "es": "Categoría"},
    "h.field": {"en": "Field", "fr": "Champ", "es": "Campo"},
    "h.text": {"en": "Text", "fr": "Texte", "es": "Texto"},
    "h.dataset": {"en": "Dataset", "fr": "Jeu de données", "es": "Conjunto de datos"},
    "h.column": {"en": "Column", "fr": "Colonne", "es": "Columna"},
    "h.severity": {"en": "Severity", "fr": "Gravité", "es": "Gravedad"},
    "h.problem": {"en": "Problem", "fr": "Problème", "es": "Problema"},
    "h.rows": {"en": "Rows", "fr": "Lignes", "es": "Filas"},
    "h.example_rows": {"en": "Example rows", "fr": "Exemples de lignes", "es": "Filas de ejemplo"},
    "h.reason": {
        "en": "Reason left out",
        "fr": "Raison de l'exclusion",
        "es": "Motivo de exclusión",
    },
    "h.records": {"en": "Records", "fr": "Enregistrements", "es": "Registros"},
    "h.pillar": {"en": "Pillar", "fr": "Pilier", "es": "Pilar"},
    "h.level": {"en": "Level", "fr": "Niveau", "es": "Nivel"},
    "h.total": {"en": "Total", "fr": "Total", "es": "Total"},
    "h.actual": {"en": "Actual", "fr": "Réalisé", "es": "Logrado"},
    "h.target": {"en": "Target", "fr": "Cible", "es": "Meta"},
    "account.title": {
        "en": "Records: read, used and left out (before each indicator's own filter)",
        "fr": "Enregistrements : lus, utilisés et exclus (avant le filtre propre à chaque indicateur)",
        "es": "Registros: leídos, usados y excluidos (antes del filtro propio de cada indicador)",
    },
    "account.alarm": {
        "en": "WARNING: records were left out of this report (see 'Records' below). The values computed without them may be wrong or empty.",
        "fr": "ATTENTION : des enregistrements ont été exclus de ce rapport (voir « Enregistrements » ci-dessous). Les valeurs calculées sans eux peuvent être fausses ou vides.",
        "es": "ADVERTENCIA: se excluyeron registros de este informe (véase «Registros» más abajo). Los valores calculados sin ellos pueden ser erróneos o estar vacíos.",
    },
    "account.accepted": {
        "en": "The loss was accepted when the report was run (--accept-left-out).",
        "fr": "La perte a été acceptée lors de la production du rapport (--accept-left-out).",
        "es": "La pérdida se aceptó al generar el informe (--accept-left-out).",
    },
    "account.missing": {
        "en": "{file} has no column '{column}' ({indicators}): {effect}",
        "fr": "{file} n'a pas de colonne « {column} » ({indicators}) : {effect}",
        "es": "{file} no tiene la columna «{column}» ({indicators}): {effect}",
    },
    "effect.disaggregation": {
        "en": "every record falls in 'Unknown'",
        "fr": "chaque enregistrement tombe dans « Inconnu »",
        "es": "cada registro cae en «Desconocido»",
    },
    "effect.measure": {
        "en": "the indicator has no value",
        "fr": "l'indicateur n'a pas de valeur",
        "es": "el indicador no tiene valor",
    },
    "effect.filter": {
        "en": "the filter is unknown for every record: none is counted",
        "fr": "le filtre est inconnu pour chaque enregistrement : aucun n'est compté",
        "es": "el filtro es desconocido para cada registro: ninguno se cuenta",
    },
    "effect.date": {
        "en": "no record can be placed in a period",
        "fr": "aucun enregistrement ne peut être placé dans une période",
        "es": "ningún registro puede ubicarse en un período",
    },
    "effect.country": {
        "en": "no record can be placed in a country",
        "fr": "aucun enregistrement ne peut être placé dans un pays",
        "es": "ningún registro puede ubicarse en un país",
    },
    "reason.invalid": {
        "en": "failed validation",
        "fr": "validation échouée",
        "es": "validación fallida",
    },
    "reason.duplicate": {"en": "duplicate key", "fr": "clé en double", "es": "clave duplicada"},
    "reason.no_column": {
        "en": "column missing from the file",
        "fr": "colonne absente du fichier",
        "es": "columna ausente del archivo",
    },
    "reason.no_date": {"en": "missing date", "fr": "date manquante", "es": "fecha faltante"},
    "reason.outside": {
        "en": "outside the project dates",
        "fr": "hors des dates du projet",
        "es": "fuera de las fechas del proyecto",
    },
    "reason.country": {
        "en": "country not in the project",
        "fr": "pays hors du projet",
        "es": "país fuera del proyecto",
    },
    "account.converted": {
        "en": "'{column}' names countries another way; read as the project's codes: {shown}",
        "fr": "« {column} » désigne les pays autrement ; lu comme les codes du projet : {shown}",
        "es": "«{column}» nombra los países de otra forma; leído como los códigos del proyecto: {shown}",
    },
    "account.national": {
        "en": "the template has no '{column}' column: its records are counted for all countries together (ALL), none per country",
        "fr": "le modèle n'a pas de colonne « {column} » : ses enregistrements sont comptés pour l'ensemble des pays (ALL), aucun par pays",
        "es": "la plantilla no tiene columna «{column}»: sus registros se cuentan para todos los países juntos (ALL), ninguno por país",
    },
    "account.later": {
        "en": "{n} dated after the period (for later reports, not a loss)",
        "fr": "{n} datés après la période (pour les rapports suivants, pas une perte)",
        "es": "{n} con fecha posterior al período (para informes posteriores, no es una pérdida)",
    },
    "account.not_dated": {
        "en": "{n} not dated yet (the event has not happened, not a loss)",
        "fr": "{n} pas encore datés (l'événement n'a pas eu lieu, pas une perte)",
        "es": "{n} aún sin fecha (el evento no ha ocurrido, no es una pérdida)",
    },
    "range": {
        "en": "range: censored values",
        "fr": "intervalle : valeurs censurées",
        "es": "intervalo: valores censurados",
    },
    "h.read": {"en": "Rows read", "fr": "Lignes lues", "es": "Filas leídas"},
    "h.used": {"en": "Used", "fr": "Utilisées", "es": "Usadas"},
    "h.left_out": {"en": "Left out", "fr": "Exclues", "es": "Excluidas"},
    "h.why": {
        "en": "Why (example rows)",
        "fr": "Pourquoi (exemples de lignes)",
        "es": "Por qué (filas de ejemplo)",
    },
    "quality.findings": {
        "en": "Validation findings",
        "fr": "Constats de validation",
        "es": "Hallazgos de validación",
    },
    "quality.excluded": {
        "en": "Records left out, per indicator",
        "fr": "Enregistrements exclus, par indicateur",
        "es": "Registros excluidos, por indicador",
    },
    "quality.none": {
        "en": "No validation findings.",
        "fr": "Aucun constat de validation.",
        "es": "Ningún hallazgo de validación.",
    },
    "quality.note": {
        "en": "Rows with errors are left out of every indicator. Fix them in the data and run the report again; 'mel validate' lists each one with its row and column.",
        "fr": "Les lignes en erreur sont exclues de tous les indicateurs. Corrigez-les et relancez le rapport ; 'mel validate' les liste avec leur ligne et colonne.",
        "es": "Las filas con errores se excluyen de todos los indicadores. Corríjalas y vuelva a generar el informe; 'mel validate' las enumera con su fila y columna.",
    },
    "multi": {
        "en": "(multi-response: parts may exceed the total)",
        "fr": "(réponses multiples : les parties peuvent dépasser le total)",
        "es": "(respuesta múltiple: las partes pueden superar el total)",
    },
    "suppressed": {"en": "suppressed", "fr": "masqué", "es": "oculto"},
    "marker.protected": {"en": "[c]", "fr": "[c]", "es": "[c]"},
    "marker.na": {"en": "n/a", "fr": "s.o.", "es": "n.a."},
    "marker.no_data": {"en": "no data", "fr": "pas de données", "es": "sin datos"},
    "legend.title": {"en": "Legend", "fr": "Légende", "es": "Leyenda"},
    "legend.small": {
        "en": "<{n}: a count from 1 to {m}, hidden to protect the people it counts",
        "fr": "<{n} : un effectif de 1 à {m}, masqué pour protéger les personnes comptées",
        "es": "<{n}: una cifra de 1 a {m}, oculta para proteger a las personas contadas",
    },
    "legend.protected": {
        "en": "[c]: hidden so that no small count can be worked out from the other figures (a ratio or average built on a small count too); it may be any value",
        "fr": "[c] : masqué pour qu'aucun petit effectif ne puisse être déduit des autres chiffres (de même un ratio ou une moyenne fondés sur un petit effectif) ; la valeur peut être quelconque",
        "es": "[c]: oculto para que ninguna cifra pequeña pueda deducirse de las demás (también una razón o un promedio basados en una cifra pequeña); puede ser cualquier valor",
    },
    "legend.na": {
        "en": "n/a: not applicable, the denominator is 0",
        "fr": "s.o. : sans objet, le dénominateur est 0",
        "es": "n.a.: no aplicable, el denominador es 0",
    },
    "legend.no_data": {
        "en": "no data: no usable record for this cell",
        "fr": "pas de données : aucun enregistrement utilisable pour cette cellule",
        "es": "sin datos: ningún registro utilizable para esta celda",
    },
    "legend.zero": {
        "en": "0: none (zero is always shown)",
        "fr": "0 : aucun (zéro est toujours affiché)",
        "es": "0: ninguno (el cero siempre se muestra)",
    },
    "legend.derived": {
        "en": "target in italics: the sum of the countries' targets (no all-countries target was set)",
        "fr": "cible en italique : somme des cibles des pays (aucune cible tous pays n'a été fixée)",
        "es": "meta en cursiva: suma de las metas de los países (no se fijó una meta para todos los países)",
    },
    "legend.to_date": {
        "en": "To date: the actual since the project's start against the target so far (the sum of the period targets so far, or the LoP target pro-rated by the reporting periods elapsed, as the Basis column says). Status bands: {bands}",
        "fr": "À ce jour : le réalisé depuis le début du projet rapporté à la cible à ce jour (somme des cibles des périodes écoulées, ou cible du projet au prorata des périodes écoulées, selon la colonne Base). Seuils de statut : {bands}",
        "es": "A la fecha: lo logrado desde el inicio del proyecto frente a la meta a la fecha (suma de las metas de los períodos transcurridos, o meta del proyecto prorrateada por los períodos transcurridos, según la columna Base). Umbrales de estado: {bands}",
    },
    "yes": {"en": "yes", "fr": "oui", "es": "sí"},
    "no": {"en": "no", "fr": "non", "es": "no"},
    "all": {"en": "All countries", "fr": "Tous les pays", "es": "Todos los países"},
    "lop": {"en": "Life of project", "fr": "Durée du projet", "es": "Duración del proyecto"},
    "unknown": {"en": "Unknown", "fr": "Inconnu", "es": "Desconocido"},
    "chart.actual_target": {
        "en": "{id}: actual and target by period",
        "fr": "{id} : réalisé et cible par période",
        "es": "{id}: logrado y meta por período",
    },
    "chart.by_country": {
        "en": "{id}: by country, {period}",
        "fr": "{id} : par pays, {period}",
        "es": "{id}: por país, {period}",
    },
    "chart.by_disagg": {
        "en": "{id}: by {what}, {period}",
        "fr": "{id} : par {what}, {period}",
        "es": "{id}: por {what}, {period}",
    },
    "chart.book": {"en": "Chart book", "fr": "Recueil de graphiques", "es": "Libro de gráficos"},
    "chart.page": {"en": "page", "fr": "page", "es": "página"},
    "chart.headline": {
        "en": "Headline indicators: actual by period",
        "fr": "Indicateurs principaux : réalisé par période",
        "es": "Indicadores principales: logrado por período",
    },
    "pillar.prevention": {"en": "Prevention", "fr": "Prévention", "es": "Prevención"},
    "pillar.protection": {"en": "Protection", "fr": "Protection", "es": "Protección"},
    "pillar.prosecution": {"en": "Prosecution", "fr": "Poursuites", "es": "Enjuiciamiento"},
    "pillar.partnership": {
        "en": "Partnership and coordination",
        "fr": "Partenariat et coordination",
        "es": "Alianzas y coordinación",
    },
    "pillar.context": {"en": "Context", "fr": "Contexte", "es": "Contexto"},
    "level.impact": {"en": "Impact", "fr": "Impact", "es": "Impacto"},
    "level.objective": {
        "en": "Objective (outcome)",
        "fr": "Objectif (effet)",
        "es": "Objetivo (efecto)",
    },
    "level.result": {
        "en": "Result (output)",
        "fr": "Résultat (produit)",
        "es": "Resultado (producto)",
    },
    "level.process": {"en": "Process", "fr": "Processus", "es": "Proceso"},
    # status words (the project's bands are translated when they are the default ones)
    "status.on track": {"en": "on track", "fr": "en bonne voie", "es": "en camino"},
    "status.over-achieved": {"en": "over-achieved", "fr": "dépassé", "es": "superado"},
    "status.under target": {
        "en": "under target",
        "fr": "en deçà de la cible",
        "es": "por debajo de la meta",
    },
    "status.set by country": {
        "en": "targets set by country",
        "fr": "cibles fixées par pays",
        "es": "metas fijadas por país",
    },
    "status.n/a": {"en": "n/a", "fr": "sans objet", "es": "no aplicable"},
    "status.not yet": {"en": "not yet", "fr": "pas encore", "es": "todavía no"},
    "status.overdue": {"en": "overdue", "fr": "en retard", "es": "atrasado"},
    "status.needs attention": {
        "en": "needs attention",
        "fr": "à surveiller",
        "es": "requiere atención",
    },
    "status.off track": {"en": "off track", "fr": "hors trajectoire", "es": "retrasado"},
    "status.no target": {"en": "no target", "fr": "sans cible", "es": "sin meta"},
    "status.no data": {"en": "no data", "fr": "pas de données", "es": "sin datos"},
    "status.achieved": {"en": "achieved", "fr": "atteint", "es": "logrado"},
    "status.not achieved": {"en": "not achieved", "fr": "non atteint", "es": "no logrado"},
    "status.no baseline": {"en": "no baseline", "fr": "sans référence", "es": "sin línea de base"},
    "status.target is 0": {"en": "target is 0", "fr": "cible nulle", "es": "meta igual a 0"},
    "status.target equals baseline": {
        "en": "target equals baseline",
        "fr": "cible égale à la référence",
        "es": "meta igual a la línea de base",
    },
}


def label(key: str, lang: str, **kw: object) -> str:
    entry = _LABELS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**kw) if kw else text


def status(word: str, lang: str) -> str:
    """A status word in the report's language (bands the project named itself stay as written)."""
    key = f"status.{word}"
    return label(key, lang) if key in _LABELS else word


def keys() -> list[str]:
    return list(_LABELS)


def country_name(code: str, lang: str) -> str:
    """A country's name in the report's language (ISO 3166 names, pycountry's translations);
    'All countries' for ALL."""
    if code == ALL:
        return label("all", lang)
    from mel.definitions.countries import country_name as english

    name = english(code)
    if lang == "en":
        return name
    return _iso_translation(lang)(name)


def _iso_translation(lang: str):
    import gettext

    import pycountry

    if lang not in _ISO:
        try:
            _ISO[lang] = gettext.translation(
                "iso3166-1", pycountry.LOCALES_DIR, languages=[lang]
            ).gettext
        except OSError:  # pragma: no cover - pycountry ships fr and es
            _ISO[lang] = str
    return _ISO[lang]


_ISO: dict = {}


def unit(ind, lang: str) -> str:
    """An indicator's unit in the report's language (its translation, else as written)."""
    tr = ind.translations.get(lang)
    return tr.unit if tr is not None and tr.unit else ind.unit


# breakdown titles of the catalog (a disaggregation's label, a template column's label or a
# code list's title) in French and Spanish; a project's own titles are shown as written
BREAKDOWNS: dict[str, tuple[str, str]] = {
    "Sex": ("Sexe", "Sexo"),
    "Child or adult": ("Enfant ou adulte", "Niño o adulto"),
    "Age group": ("Tranche d'âge", "Grupo de edad"),
    "Provider": ("Prestataire", "Proveedor"),
    "Type of service": ("Type de service", "Tipo de servicio"),
    "Target audience": ("Public cible", "Público destinatario"),
    "Target group": ("Groupe cible", "Grupo destinatario"),
    "Channel": ("Canal", "Canal"),
    "Type of exploitation": ("Type d'exploitation", "Tipo de explotación"),
    "Identified by": ("Identifié par", "Identificado por"),
    "Industry": ("Secteur d'activité", "Sector de actividad"),
    "Means of control": ("Moyen de contrôle", "Medio de control"),
    "Nationality": ("Nationalité", "Nacionalidad"),
    "Kind": ("Type de jalon", "Tipo de hito"),
    "Referring organisation": ("Organisation qui oriente", "Organización que deriva"),
    "Receiving organisation": ("Organisation qui reçoit", "Organización receptora"),
    "Referred to": ("Orienté vers", "Derivado a"),
    "Service": ("Service", "Servicio"),
    "Survey round": ("Vague d'enquête", "Ronda de encuesta"),
    "Curriculum": ("Programme de formation", "Programa de capacitación"),
    "Institution": ("Institution", "Institución"),
    "Role": ("Fonction", "Función"),
}


def breakdown(title: str, lang: str) -> str:
    """A breakdown title in the report's language."""
    tr = BREAKDOWNS.get(title)
    if tr is None or lang == "en":
        return title
    return tr[0] if lang == "fr" else tr[1]


# the reference sheet's field names and fixed words
REFERENCE_FIELDS: dict[str, tuple[str, str]] = {
    "Indicator": ("Indicateur", "Indicador"),
    "Pillar": ("Pilier", "Pilar"),
    "Logframe level": ("Niveau du cadre logique", "Nivel del marco lógico"),
    "Result measured": ("Résultat mesuré", "Resultado medido"),
    "Definition": ("Définition", "Definición"),
    "Rationale": ("Justification", "Justificación"),
    "Unit": ("Unité", "Unidad"),
    "Computation": ("Calcul", "Cálculo"),
    "Records counted": ("Enregistrements comptés", "Registros contados"),
    "Dataset": ("Jeu de données", "Conjunto de datos"),
    "Period placed by": ("Période déterminée par", "Período determinado por"),
    "Geography": ("Géographie", "Geografía"),
    "Disaggregation": ("Désagrégation", "Desagregación"),
    "Cumulation": ("Cumul", "Acumulación"),
    "Direction of change": ("Sens de l'évolution", "Sentido del cambio"),
    "Target": ("Cible", "Meta"),
    "Data collection method": ("Méthode de collecte", "Método de recopilación"),
    "Data source": ("Source des données", "Fuente de los datos"),
    "Collection frequency": ("Fréquence de collecte", "Frecuencia de recopilación"),
    "Reporting frequency": ("Fréquence de rapport", "Frecuencia de presentación de informes"),
    "Reference": ("Référence", "Referencia"),
    "Notes": ("Notes", "Notas"),
}
REFERENCE_WORDS: dict[str, tuple[str, str]] = {
    "per period (each period counted on its own)": (
        "par période (chaque période comptée séparément)",
        "por período (cada período se cuenta por separado)",
    ),
    "cumulative from the project start to the end of the period": (
        "cumulé du début du projet à la fin de la période",
        "acumulado desde el inicio del proyecto hasta el final del período",
    ),
    "latest value (not summed across periods)": (
        "dernière valeur (non additionnée entre périodes)",
        "último valor (no se suma entre períodos)",
    ),
    "increase is good": ("une hausse est favorable", "un aumento es favorable"),
    "decrease is good": ("une baisse est favorable", "una disminución es favorable"),
    "Yes/True by the end of the period": (
        "Oui à la fin de la période",
        "Sí al final del período",
    ),
    "a number to reach": ("un nombre à atteindre", "un número por alcanzar"),
    "a percentage to reach": ("un pourcentage à atteindre", "un porcentaje por alcanzar"),
    "X% increase from the baseline": (
        "hausse de X % par rapport à la référence",
        "aumento de X % respecto de la línea de base",
    ),
    "X% decrease from the baseline": (
        "baisse de X % par rapport à la référence",
        "disminución de X % respecto de la línea de base",
    ),
    "monthly": ("mensuelle", "mensual"),
    "quarterly": ("trimestrielle", "trimestral"),
    "semiannual": ("semestrielle", "semestral"),
    "annual": ("annuelle", "anual"),
    "once": ("unique", "única"),
    "continuous": ("continue", "continua"),
    "none": ("aucune", "ninguna"),
}


def reference_word(text: str, lang: str, table: dict | None = None) -> str:
    tr = (table or REFERENCE_WORDS).get(text)
    if tr is None or lang == "en":
        return text
    return tr[0] if lang == "fr" else tr[1]


# the titles of the problems the Data quality sheet lists (mel.errors.ERROR_TYPES), severities
# and the reasons a record is left out of an indicator, in French and Spanish
PROBLEMS: dict[str, tuple[str, str]] = {
    "File not found": ("Fichier introuvable", "Archivo no encontrado"),
    "File cannot be read": ("Fichier illisible", "Archivo ilegible"),
    "Empty file": ("Fichier vide", "Archivo vacío"),
    "YAML syntax error": ("Erreur de syntaxe YAML", "Error de sintaxis YAML"),
    "Tab character": ("Caractère de tabulation", "Carácter de tabulación"),
    "Duplicate key": ("Clé en double", "Clave duplicada"),
    "Anchor or alias": ("Ancre ou alias", "Ancla o alias"),
    "YAML tag": ("Balise YAML", "Etiqueta YAML"),
    "Several documents": ("Plusieurs documents", "Varios documentos"),
    "Key is not text": ("Clé non textuelle", "La clave no es texto"),
    "Unknown key": ("Clé inconnue", "Clave desconocida"),
    "Missing key": ("Clé manquante", "Clave faltante"),
    "Wrong type": ("Type incorrect", "Tipo incorrecto"),
    "Value not allowed": ("Valeur non autorisée", "Valor no permitido"),
    "Invalid definition": ("Définition invalide", "Definición no válida"),
    "Unknown dataset": ("Jeu de données inconnu", "Conjunto de datos desconocido"),
    "Unknown column": ("Colonne inconnue", "Columna desconocida"),
    "Unknown code list": ("Liste de codes inconnue", "Lista de códigos desconocida"),
    "Unknown code": ("Code inconnu", "Código desconocido"),
    "Column not in the form": ("Colonne absente du formulaire", "Columna ausente del formulario"),
    "Edited submissions": ("Soumissions modifiées", "Envíos modificados"),
    "Pull failed": ("Échec du téléchargement", "Descarga fallida"),
    "IATI results rule broken": (
        "Règle IATI des résultats enfreinte",
        "Regla IATI de resultados incumplida",
    ),
    "Unknown indicator": ("Indicateur inconnu", "Indicador desconocido"),
    "Duplicate id": ("Identifiant en double", "Identificador duplicado"),
    "Column has the wrong type": ("Colonne du mauvais type", "Columna de tipo incorrecto"),
    "Filter syntax error": ("Erreur de syntaxe du filtre", "Error de sintaxis del filtro"),
    "Filter type error": ("Erreur de type du filtre", "Error de tipo del filtro"),
    "Bad header": ("En-tête incorrect", "Encabezado incorrecto"),
    "Bad cell": ("Cellule incorrecte", "Celda incorrecta"),
    "Unsupported file": ("Fichier non pris en charge", "Archivo no admitido"),
    "Sheet not found": ("Feuille introuvable", "Hoja no encontrada"),
    "File refused for safety": ("Fichier refusé par sécurité", "Archivo rechazado por seguridad"),
    "Missing column": ("Colonne manquante", "Columna faltante"),
    "Duplicate column": ("Colonne en double", "Columna duplicada"),
    "Required value missing": ("Valeur obligatoire manquante", "Falta un valor obligatorio"),
    "Value not in code list": (
        "Valeur hors de la liste de codes",
        "Valor fuera de la lista de códigos",
    ),
    "Value out of range": ("Valeur hors limites", "Valor fuera de rango"),
    "Value does not match pattern": (
        "Valeur non conforme au format",
        "Valor que no sigue el formato",
    ),
    "Duplicate value": ("Valeur en double", "Valor duplicado"),
    "Rule failed": ("Règle non respectée", "Regla no cumplida"),
    "Date in the future": ("Date dans le futur", "Fecha en el futuro"),
    "Unknown reference": ("Référence inconnue", "Referencia desconocida"),
    "Spaces around a value": ("Espaces autour d'une valeur", "Espacios alrededor de un valor"),
    "Value written another way": ("Valeur écrite autrement", "Valor escrito de otra forma"),
    "No data rows": ("Aucune ligne de données", "Ninguna fila de datos"),
    "Row with the wrong number of fields": (
        "Ligne au mauvais nombre de champs",
        "Fila con un número incorrecto de campos",
    ),
    "Usage error": ("Erreur d'utilisation", "Error de uso"),
    "error": ("erreur", "error"),
    "warning": ("avertissement", "advertencia"),
    "failed validation": ("validation échouée", "validación fallida"),
    "duplicate key": ("clé en double", "clave duplicada"),
    "column missing from the file": ("colonne absente du fichier", "columna ausente del archivo"),
    "missing date": ("date manquante", "fecha faltante"),
    "outside the project dates": ("hors des dates du projet", "fuera de las fechas del proyecto"),
    "outside the project dates or after the reporting period": (
        "hors des dates du projet ou après la période du rapport",
        "fuera de las fechas del proyecto o después del período del informe",
    ),
    "country not in the project": ("pays hors du projet", "país fuera del proyecto"),
    "filter false": ("hors du filtre de l'indicateur", "fuera del filtro del indicador"),
}


def problem(text: str, lang: str) -> str:
    """A problem title, severity or reason of the Data quality sheet in the report's language."""
    tr = PROBLEMS.get(text)
    if tr is None or lang == "en":
        return text
    return tr[0] if lang == "fr" else tr[1]
