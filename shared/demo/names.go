package demo

// Name pools for the generated chain. Plausible, varied, and fictional in
// combination; every email is on a reserved example domain.

var firstNames = []string{
	"Olivia", "Liam", "Emma", "Noah", "Amelia", "Oliver", "Sophia", "Elijah", "Charlotte", "James",
	"Ava", "William", "Isabella", "Benjamin", "Mia", "Lucas", "Evelyn", "Henry", "Harper", "Theodore",
	"Luna", "Jack", "Camila", "Levi", "Gianna", "Alexander", "Elizabeth", "Jackson", "Eleanor", "Mateo",
	"Ella", "Daniel", "Abigail", "Michael", "Sofia", "Mason", "Avery", "Sebastian", "Scarlett", "Ethan",
	"Emily", "Logan", "Aria", "Owen", "Penelope", "Samuel", "Chloe", "Jacob", "Layla", "Asher",
	"Priya", "Arjun", "Mei", "Wei", "Yuki", "Hiroshi", "Aisha", "Omar", "Fatima", "Hassan",
	"Sofía", "Diego", "Valentina", "Santiago", "Lucía", "Chiara", "Marco", "Ingrid", "Lars", "Siobhan",
	"Declan", "Niamh", "Callum", "Rhiannon", "Dmitri", "Anya", "Kwame", "Amara", "Chidi", "Zanele",
	"Margaret", "Robert", "Patricia", "Richard", "Barbara", "Joseph", "Susan", "Thomas", "Dorothy", "Charles",
	"Rosa", "Hector", "Nadia", "Yusuf", "Leila", "Tomasz", "Katarzyna", "Bogdan", "Ji-woo", "Min-jun",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Patel", "Shah", "Kim", "Park", "Chen", "Wang", "Tanaka", "Sato", "Okafor", "Mensah",
	"O'Brien", "Murphy", "Kelly", "MacDonald", "Fraser", "Evans", "Hughes", "Price", "Morgan", "Cohen",
	"Levy", "Rossi", "Bianchi", "Novak", "Kowalski", "Ivanova", "Schmidt", "Müller", "Dubois", "Lefèvre",
	"Haddad", "Khan", "Ali", "Singh", "Kaur", "Gupta", "Mendoza", "Castillo", "Vargas", "Silva",
	"Bennett", "Brooks", "Sullivan", "Foster", "Hayes", "Bryant", "Russell", "Griffin", "Diaz", "Ortiz",
}

var repairItems = []string{
	"Ring resize", "Ring resize", "Ring resize", "Watch battery", "Watch battery", "Watch strap replacement",
	"Chain solder", "Chain solder", "Clasp replacement", "Prong retipping", "Stone tightening", "Pearl restringing",
	"Rhodium plating", "Earring post repair", "Watch service", "Bracelet link removal", "Engraving",
	"Stone replacement", "Polish and clean", "Appraisal",
}

var categories = []string{
	"bridal", "diamonds", "watches", "colored_gemstones", "pearls",
	"gold", "silver", "estate", "custom_design", "mens",
}
